"""Tenant 360: one tenant's profile, health, churn risk, trends and history (?tenant=<id>)."""

import streamlit as st

from core import formatting as fmt
from core.queries.tenant_360 import (
    TenantNotFoundError,
    parse_tenant_param,
    tenant_360,
    tenant_choices,
)
from core.security import markdown_safe
from dashboards import tenant_360 as t360
from ui import db
from ui.auth import current_scope, personal_data
from ui.filters import filter_bar
from ui.i18n import _
from ui.job_notice import notice_for
from ui.live import LiveContext, live_page
from ui.render import cpi_for, download_csv, show_figure, show_table, show_tiles

PAGE = "tenant-360"
PARAM = "tenant"
st.title(_("Tenant 360"))


@st.cache_data(ttl=60, show_spinner=False)
def _choices(database_url: str, version: int | None) -> list[tuple[int, str]]:
    with db.session(database_url) as session:
        frame = tenant_choices(session=session)
    return [
        (int(row.tenant_id), f"{row.trade_name} · {row.city} (#{row.tenant_id})")
        for row in frame.itertuples()
    ]


def _picker(ctx: LiveContext, current: int | None) -> None:
    version = ctx.snapshot.version if ctx.snapshot else None
    scope = current_scope()
    # The cached list is every tenant's; each user sees only their book's.
    choices = [c for c in _choices(ctx.settings.database_url, version) if scope.allows(c[0])]
    labels = dict(choices)
    ids = [tenant_id for tenant_id, _label in choices]
    chosen = st.selectbox(
        _("Tenant"),
        ids,
        index=ids.index(current) if current in labels else None,
        format_func=labels.get,
        placeholder=_("Type a tenant's name to search"),
        key="tenant_360_picker",
    )
    if chosen is not None and chosen != current:
        st.query_params[PARAM] = str(chosen)
        st.rerun()


def _columns() -> dict:
    when = st.column_config.DatetimeColumn
    day = st.column_config.DateColumn
    number = st.column_config.NumberColumn
    return {
        "invoice_id": number(_("Invoice"), format="%d", width="small"),
        "period_start": day(_("Period"), format="MM/YYYY"),
        "issued_on": day(_("Issued"), format="DD/MM/YYYY"),
        "due_on": day(_("Due"), format="DD/MM/YYYY"),
        "paid_on": day(_("Paid"), format="DD/MM/YYYY"),
        "amount_ars": number(_("Amount"), format="$ %.0f"),
        "status": _("Status"),
        "attempts": number(_("Attempts"), format="%d"),
        "ticket_id": number(_("Ticket"), format="%d", width="small"),
        "opened_at": when(_("Opened"), format="DD/MM/YYYY HH:mm"),
        "closed_at": when(_("Closed"), format="DD/MM/YYYY HH:mm"),
        "severity": _("Severity"),
        "category": _("Category"),
        "subject": st.column_config.TextColumn(_("Subject"), width="large"),
        "csat": number(_("CSAT"), format="%d"),
        "responded_at": when(_("Answered"), format="DD/MM/YYYY"),
        "score": number(_("Score"), format="%d"),
        "comment": st.column_config.TextColumn(_("Comment"), width="large"),
        "triggered_at": when(_("Triggered"), format="DD/MM/YYYY HH:mm"),
        "reason": _("Reason"),
        "playbook": _("Playbook"),
        "arm": _("Arm"),
        "action": _("Action"),
        "outcome": _("Outcome"),
        "owner": _("Owner"),
        "alert_id": number(_("Alert"), format="%d", width="small"),
        "priority": number(_("Priority"), format="$ %.0f"),
        "churn_probability": number(_("Churn prob."), format="percent"),
        "session_id": number(_("Session"), format="%d", width="small"),
        "started_at": when(_("Started"), format="DD/MM/YYYY HH:mm"),
        "current_step": _("Step"),
        "verification_status": _("Verification"),
        "verification_reasons": _("Reasons"),
        "activated_at": when(_("Activated"), format="DD/MM/YYYY HH:mm"),
        "step": _("Step"),
        "entered_at": when(_("Entered"), format="DD/MM/YYYY HH:mm"),
        "completed_at": when(_("Completed"), format="DD/MM/YYYY HH:mm"),
        "minutes": number(_("Minutes"), format="%.1f"),
        "plan": _("Plan"),
        "tier": _("Tier"),
        "mrr_ars": number(_("MRR"), format="$ %.0f"),
        "started_on": day(_("From"), format="DD/MM/YYYY"),
        "ended_on": day(_("Until"), format="DD/MM/YYYY"),
        "change_reason": _("Change"),
        "week": day(_("Week"), format="DD/MM/YYYY"),
        "bookings": number(_("Bookings"), format="%d"),
        "completed": number(_("Completed"), format="%d"),
        "no_show": number(_("No-shows"), format="%d"),
        "gmv_ars": number(_("GMV"), format="$ %.0f"),
        "payments_approved_ars": number(_("Payments approved"), format="$ %.0f"),
        "payments_failed": number(_("Failed payments"), format="%d"),
    }


def _table(
    title: str, frame, empty: str, *, csv_name: str | None = None, status: str | None = None
) -> None:
    st.markdown(f"**{title}**")
    if frame.empty:
        st.caption(empty)
        return
    if csv_name:
        download_csv(frame, csv_name, key=f"csv_{csv_name}")
    show_table(
        frame,
        column_config=_columns(),
        labels={"status": status} if status else None,
        height=min(360, 38 + 35 * len(frame)),
    )


def body(ctx: LiveContext) -> None:
    raw = st.query_params.get(PARAM)
    tenant_id = parse_tenant_param(raw) if raw is not None else None
    _picker(ctx, tenant_id)
    if raw is not None and tenant_id is None:
        st.warning(
            _("The link's tenant={value} is not a tenant id (a positive whole number).").format(
                value=markdown_safe(raw, max_length=40)
            ),
            icon=":material/link_off:",
        )
        return
    if tenant_id is None:
        st.info(_("Pick a tenant above, or open one from any table's tenant link."))
        return
    if not current_scope().allows(tenant_id):
        st.warning(
            _("Tenant #{id} is not in your book of business.").format(id=tenant_id),
            icon=":material/lock:",
        )
        return
    try:
        with db.session() as session:
            data = tenant_360(
                session=session, tenant_id=tenant_id, today=ctx.at.date(), locale=ctx.locale
            )
    except TenantNotFoundError:
        st.warning(
            _("There is no tenant with id {id}.").format(id=tenant_id), icon=":material/search_off:"
        )
        return

    profile = personal_data(data.profile, tenant_id, page=PAGE)
    # Tenant-written text (names, e-mails, cities) is shown as text, never as markdown.
    st.subheader(f"{markdown_safe(profile['trade_name'])} · #{tenant_id}", divider="gray")
    lines = t360.profile_lines(profile, locale=ctx.locale)
    cells = st.columns(4)
    for index, (label, value) in enumerate(lines):
        cells[index % 4].markdown(f"**{label}**  \n{markdown_safe(value)}")

    tiles = t360.signal_tiles(data.signals, data.health, data.churn, locale=ctx.locale)
    show_tiles(tiles, per_row=4)
    if data.churn and data.churn["drivers"]:
        st.markdown(
            "**"
            + _("Top risk drivers")
            + "**  \n"
            + "  \n".join(f"- {driver}" for driver in data.churn["drivers"])
        )

    filters = filter_bar(ctx, page=PAGE, dimensions=("date",), money=True, default_days=364)
    problem = filters.problem(today=ctx.at.date(), locale=ctx.locale)
    if problem:
        st.info(problem, icon=":material/event_busy:")
        return
    cpi = cpi_for(ctx, filters)
    weeks = t360.weekly(data.daily, filters, cpi=cpi)
    money = (
        _("GMV (ARS of {month})").format(month=filters.constant_ars_month.strftime("%m/%Y"))
        if filters.constant_ars_month and cpi is not None
        else _("GMV")
    )
    left, right = st.columns(2)
    with left:
        show_figure(t360.trend_figure(weeks, locale=ctx.locale, money_label=money))
    with right:
        notice = None
        scores = data.health.get("score")
        if scores is None or scores.dropna().empty:  # say why: the job failed, or runs
            notice = notice_for("health_scores", at=ctx.at, locale=ctx.locale)
        note = None if notice is None else notice.text
        show_figure(t360.health_figure(data.health, locale=ctx.locale, note=note))

    tabs = st.tabs(
        [
            _("Billing"),
            _("Support and NPS"),
            _("Interventions and alerts"),
            _("Onboarding"),
            _("Weekly activity"),
        ]
    )
    with tabs[0]:
        _table(_("Subscription history"), data.subscriptions, _("No subscription."))
        _table(
            _("Invoices"),
            data.invoices,
            _("No invoice."),
            csv_name=f"invoices_{tenant_id}.csv",
            status="invoice_status",
        )
    with tabs[1]:
        _table(_("Tickets"), data.tickets, _("No ticket."), csv_name=f"tickets_{tenant_id}.csv")
        _table(_("NPS answers"), data.nps, _("No NPS answer."))
    with tabs[2]:
        _table(_("Interventions"), data.interventions, _("No intervention."))
        _table(_("Alerts"), data.alerts, _("No alert."), status="alert_status")
    with tabs[3]:
        _table(
            _("Onboarding sessions"),
            data.onboarding,
            _("No onboarding session: this tenant signed up before the wizard's history."),
            status="onboarding_status",
        )
        steps = t360.onboarding_steps(data.onboarding_steps)
        if not steps.empty:
            _table(_("Steps"), steps, "")
    with tabs[4]:
        _table(
            _("Activity per week"),
            weeks.sort_values("week", ascending=False) if not weeks.empty else weeks,
            _("No activity in this period."),
            csv_name=f"activity_{tenant_id}.csv",
        )
    st.caption(
        _("Signup {signup} · data read {when}").format(
            signup=fmt.format_date(profile["signup_date"], locale=ctx.locale),
            when=fmt.format_time(ctx.at, locale=ctx.locale),
        )
    )


live_page(body)
