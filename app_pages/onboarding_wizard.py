"""Onboarding wizard: from signup to a verified, configured, live tenant.

The session id is in the URL (``?session=12``) and every step is saved as it is submitted,
so a reload or a closed browser resumes where the operator left off.
"""

from dataclasses import replace

import streamlit as st

from core import formatting as fmt
from core.clock import now
from core.db import DATABASE_ERRORS
from core.errors import DomainError
from core.queries.onboarding import OnboardingView, onboarding
from core.reference.plans import plan_price
from core.security import markdown_safe, parse_id
from core.workflows.onboarding.activation import ActivateTenant
from core.workflows.onboarding.drafts import (
    DiscardOnboarding,
    EnterStep,
    StartOnboarding,
    SubmitStep,
    reachable_steps,
)
from core.workflows.onboarding.importer import ImportRejectedError
from core.workflows.onboarding.steps import STEP_TITLES, STEPS, StepValidationError
from core.workflows.onboarding.verification import VerifyOnboarding
from ui import db
from ui import onboarding_forms as forms
from ui.auth import current_actor
from ui.errors import show_error
from ui.i18n import _, current_locale
from ui.incidents import show_database_error
from ui.live import read_settings
from ui.onboarding_import import import_panel, show_row_errors
from ui.onboarding_review import (
    SESSION_PARAM,
    check_lines,
    decision_form,
    open_session,
    resume_list,
    review_queue_panel,
)
from ui.versions import shown_version

st.title(_("Onboarding wizard"))
locale = current_locale()
NOTICE = "onboarding_notice"


def show_notice() -> None:
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.success(notice, icon=":material/check_circle:")


def landing() -> None:
    if st.button(_("Start a new onboarding"), type="primary", icon=":material/add:"):
        try:
            open_session(db.execute(StartOnboarding(), actor=current_actor()))
        except DomainError as exc:
            show_error(exc)
    resume_list(now())
    review_queue_panel()


def go_to(session_id: int, step: str) -> None:
    try:
        db.execute(EnterStep(session_id, step, locale=locale), actor=current_actor())
    except DomainError as exc:
        show_error(exc)
        return
    st.rerun()


def stepper(row: OnboardingView) -> None:
    reachable = reachable_steps(row)
    done = set((row.draft or {}).get("completed") or [])
    columns = st.columns(len(STEPS))
    for i, (column, step) in enumerate(zip(columns, STEPS, strict=True)):
        icon = ":material/check_circle:" if step in done else None
        if column.button(
            f"{i + 1}. {_(STEP_TITLES[step])}",
            key=f"goto_{step}",
            disabled=step not in reachable,
            type="primary" if step == row.current_step else "secondary",
            icon=icon,
            width="stretch",
        ):
            go_to(row.id, step)


def save(row: OnboardingView, step: str, payload: object) -> None:
    try:
        result = db.execute(
            SubmitStep(row.id, step, payload, locale=locale, expected_version=row.version),
            actor=current_actor(),
        )
    except StepValidationError as exc:
        lines = []
        for error in exc.errors:
            where = "" if error.row is None else _("Row {n}: ").format(n=error.row + 1)
            lines.append(f"- {where}{markdown_safe(error.message)}")
        st.error(_("Please fix the following:") + "\n" + "\n".join(lines), icon=":material/error:")
        return
    except ImportRejectedError as exc:
        show_row_errors(exc.errors)
        return
    except DomainError as exc:
        show_error(exc)
        return
    for warning in result.warnings:
        st.session_state.setdefault("onboarding_warnings", []).append(warning)
    st.session_state[NOTICE] = _("{step} saved.").format(step=_(STEP_TITLES[step]))
    st.rerun()


def data_step(row: OnboardingView, step: str) -> None:
    draft = row.draft or {}
    key = f"s{row.id}_{step}"
    locations = [loc["name"] for loc in draft.get("locations") or []]
    vertical = (draft.get("business") or {}).get("vertical") or "barbershop"
    try:
        if step == "business":
            payload = forms.business_form(draft.get("business") or {}, key)
        elif step == "contact":
            payload = forms.contact_form(draft.get("contact") or {}, key)
        elif step == "locations":
            import_panel(row.id, row.version, locale)
            payload = forms.locations_form(draft.get("locations") or [], key)
        elif step == "hours":
            payload = forms.hours_form(locations, draft.get("hours") or {}, key)
        elif step == "services":
            payload = forms.services_form(vertical, draft.get("services") or [], key)
        elif step == "staff":
            services = [s["name"] for s in draft.get("services") or []]
            payload = forms.staff_form(vertical, locations, services, draft.get("staff") or [], key)
        else:
            payload = forms.integrations_form(draft.get("integrations") or {}, key)
    except ImportRejectedError as exc:
        show_row_errors(exc.errors)
        return
    if payload is not None:
        save(row, step, payload)


def review_step(row: OnboardingView) -> None:
    status = row.verification_status
    if st.button(_("Run verification"), type="primary", icon=":material/fact_check:"):
        try:
            status = db.execute(
                VerifyOnboarding(row.id, locale=locale, expected_version=row.version),
                actor=current_actor(),
            )
        except DomainError as exc:
            show_error(exc)
            return
        if status == "auto_approved":  # verification moved the session to activation
            st.session_state[NOTICE] = _("Every check passed: approved automatically.")
        st.rerun()
    if status is None:
        st.info(
            _(
                "Verification checks duplicates, the CUIT, the phone's area code, prices and "
                "the e-mail domain."
            )
        )
        return
    lines = check_lines(row.draft, locale)
    if status == "auto_approved":
        st.success(_("Every check passed: approved automatically."), icon=":material/verified:")
    elif status == "approved":
        st.success(_("Approved by a reviewer."), icon=":material/verified:")
    elif status == "manual_review":
        st.warning(_("Sent to manual review:"), icon=":material/flag:")
    for line in lines:
        st.markdown(f"- {markdown_safe(line)}")
    if status == "manual_review":
        st.caption(
            _("A reviewer decides here or in the review queue; the sidebar operator is recorded.")
        )
        decision_form(row.id, key=f"review_{row.id}", version=row.version)
    elif st.button(_("Continue to activation"), icon=":material/arrow_forward:"):
        go_to(row.id, "activation")


def activation_step(row: OnboardingView) -> None:
    draft = row.draft or {}
    business = draft.get("business") or {}
    n_locations = len(draft.get("locations") or [])
    price = plan_price(business["plan"], n_locations, now().date())
    summary = st.columns(4)
    summary[0].metric(_("Locations"), fmt.format_count(n_locations, locale=locale))
    summary[1].metric(
        _("Services"), fmt.format_count(len(draft.get("services") or []), locale=locale)
    )
    summary[2].metric(_("Staff"), fmt.format_count(len(draft.get("staff") or []), locale=locale))
    summary[3].metric(
        _("Monthly fee"), fmt.format_money(price, locale=locale), help=business["plan"]
    )
    if st.button(_("Activate tenant"), type="primary", icon=":material/rocket_launch:"):
        try:
            result = db.execute(
                ActivateTenant(row.id, locale=locale, expected_version=row.version),
                actor=current_actor(),
            )
        except DomainError as exc:
            show_error(exc)
            return
        st.session_state[NOTICE] = _("Tenant #{id} is live.").format(id=result.tenant_id)
        st.rerun()


def finished(row: OnboardingView) -> None:
    if row.status == "activated":
        st.success(
            _(
                "{name} is live as tenant #{id}. It shows on the dashboards after the next refresh."
            ).format(name=markdown_safe(row.business_name), id=row.tenant_id),
            icon=":material/celebration:",
        )
        st.page_link(
            "app_pages/tenant_directory.py",
            label=_("Open the tenant directory"),
            icon=":material/storefront:",
        )
    elif row.status == "rejected":
        st.error(_("This onboarding was rejected at review."), icon=":material/block:")
        for line in check_lines(row.draft, locale):
            st.markdown(f"- {markdown_safe(line)}")
    else:
        st.info(_("This onboarding was discarded."), icon=":material/delete:")


def wizard(session_id: int) -> None:
    try:
        with db.session() as session:
            row = onboarding(session=session, session_id=session_id, locale=locale)
    except DomainError as exc:
        show_error(exc)
        if st.button(_("Back to the list")):
            del st.query_params[SESSION_PARAM]
            st.rerun()
        return
    # Commands carry the version the user saw, so a stale tab's save is refused.
    row = replace(row, version=shown_version("onboarding", row.id, row.version))
    header, back = st.columns([5, 1], vertical_alignment="center")
    header.markdown(f"### {row.business_name or _('New onboarding')} · #{row.id}")
    if back.button(_("All onboardings"), icon=":material/list:"):
        del st.query_params[SESSION_PARAM]
        st.rerun()
    show_notice()
    for warning in st.session_state.pop("onboarding_warnings", []):
        st.warning(markdown_safe(warning), icon=":material/flag:")
    if row.status != "in_progress":
        finished(row)
        return
    stepper(row)
    step = row.current_step
    st.subheader(f"{STEPS.index(step) + 1}. {_(STEP_TITLES[step])}", divider="gray")
    if step == "review":
        review_step(row)
    elif step == "activation":
        activation_step(row)
    else:
        data_step(row, step)
    previous = STEPS.index(step) - 1
    left, right = st.columns([1, 1])
    if previous >= 0 and left.button(_("Back"), icon=":material/arrow_back:", key="nav_back"):
        go_to(row.id, STEPS[previous])
    with right.popover(_("Discard"), icon=":material/delete:"):
        if st.button(_("Discard this onboarding"), key="discard"):
            try:
                db.execute(
                    DiscardOnboarding(row.id, locale=locale, expected_version=row.version),
                    actor=current_actor(),
                )
            except DomainError as exc:
                show_error(exc)
                return
            del st.query_params[SESSION_PARAM]
            st.rerun()


settings = read_settings()
if settings is not None:
    try:
        raw = st.query_params.get(SESSION_PARAM)
        session_id = parse_id(raw)
        if raw is None:
            show_notice()
            landing()
        elif session_id is None:
            st.error(_("The link has no valid onboarding number."), icon=":material/error:")
        else:
            wizard(session_id)
    except DATABASE_ERRORS as exc:
        show_database_error(exc, where="onboarding wizard")
