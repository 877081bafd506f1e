"""The wizard's step forms: each returns the step's payload when submitted, else None.

List steps (locations, hours, services, staff) are editable tables; each also takes rows
pasted from a spreadsheet (the import template's columns), which replace the table.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.i18n import N_
from core.labels import VERTICAL_LABELS
from core.reference.geography import PROVINCES
from core.reference.plans import PLAN_TIER, PLANS
from core.validation import LEGAL_FORMS, TAX_STATUSES
from core.workflows.onboarding.importer import WEEKDAY_COLUMNS, parse_number, read_table
from core.workflows.onboarding.samples import (
    STAFF_WEEK,
    WEEKDAYS_9_TO_20,
    default_role,
    service_template,
)
from core.workflows.onboarding.steps import CALENDAR_PROVIDERS, TIERS, VERTICALS
from ui.i18n import _

DAY_LABELS = dict(
    zip(
        WEEKDAY_COLUMNS,
        [N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun")],
        strict=True,
    )
)
PROVINCE_NAMES = [p.name for p in PROVINCES]


def _index(options: list[str] | tuple[str, ...], value: Any) -> int | None:
    return options.index(value) if value in options else None


def _clean(value: Any) -> Any:
    """A table cell as the validators expect it: NaN and None become None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


def week_to_cells(week: dict[str, list[list[str]]] | None) -> dict[str, str]:
    week = week or {}
    return {
        column: ", ".join(f"{o}-{c}" for o, c in week.get(str(day), []))
        for day, column in enumerate(WEEKDAY_COLUMNS)
    }


def cells_to_week(row: dict[str, Any]) -> Any:
    """Seven weekday cells to a week of shifts; a cell that does not parse is kept as text,
    so the validator names the day and the value."""
    week: dict[str, Any] = {}
    for day, column in enumerate(WEEKDAY_COLUMNS):
        text = str(_clean(row.get(column)) or "").strip()
        shifts: list[Any] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            pieces = [p.strip() for p in part.replace("–", "-").split("-")]
            shifts.append(pieces if len(pieces) == 2 else [part, ""])
        week[str(day)] = shifts
    return week


def _paste_box(key: str) -> str:
    with st.expander(_("Paste rows from a spreadsheet"), icon=":material/content_paste:"):
        st.caption(_("Include the header row; the pasted rows replace the table above."))
        return st.text_area(_("Rows"), key=key, height=120, label_visibility="collapsed")


def _pasted(kind: str, text: str) -> list[dict[str, str]] | None:
    """Rows pasted from a spreadsheet (tab, comma or semicolon separated, with the header);
    None when nothing was pasted. Raises ImportRejectedError like an upload."""
    if not text.strip():
        return None
    data = text.replace("\t", ";").encode("utf-8")
    return [record for _row, record in read_table(kind, "pasted.csv", data)]


def business_form(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    with st.form(key):
        left, right = st.columns(2)
        values = {
            "legal_name": left.text_input(
                _("Legal name"), data.get("legal_name", ""), key=f"{key}_legal_name"
            ),
            "trade_name": right.text_input(
                _("Trade name"), data.get("trade_name", ""), key=f"{key}_trade_name"
            ),
            "cuit": left.text_input(
                _("CUIT"), data.get("cuit", ""), placeholder="30-71234567-1", key=f"{key}_cuit"
            ),
            "tax_status": right.selectbox(
                _("Tax status"),
                TAX_STATUSES,
                _index(TAX_STATUSES, data.get("tax_status")),
                key=f"{key}_tax_status",
            ),
        }
        forms = [f.key for f in LEGAL_FORMS]
        names = {f.key: f.name for f in LEGAL_FORMS}
        values["legal_form"] = left.selectbox(
            _("Legal form"),
            forms,
            _index(forms, data.get("legal_form")),
            format_func=names.__getitem__,
            key=f"{key}_legal_form",
        )
        values["vertical"] = right.selectbox(
            _("Business type"),
            VERTICALS,
            _index(VERTICALS, data.get("vertical")),
            format_func={v: _(n) for v, n in VERTICAL_LABELS.items()}.__getitem__,
            key=f"{key}_vertical",
        )
        values["plan"] = left.selectbox(
            _("Plan"),
            PLANS,
            _index(PLANS, data.get("plan")),
            format_func=lambda p: f"{p} ({PLAN_TIER[p]})",
            key=f"{key}_plan",
        )
        values["tier"] = right.selectbox(
            _("Tier"), TIERS, _index(TIERS, data.get("tier")), key=f"{key}_tier"
        )
        submitted = st.form_submit_button(
            _("Save and continue"), type="primary", icon=":material/arrow_forward:"
        )
    return values if submitted else None


def contact_form(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    with st.form(key):
        values = {
            "owner_name": st.text_input(
                _("Owner's name"), data.get("owner_name", ""), key=f"{key}_owner"
            ),
            "email": st.text_input(_("E-mail"), data.get("email", ""), key=f"{key}_email"),
            "phone": st.text_input(
                _("Mobile phone"),
                data.get("phone", ""),
                placeholder="011 15 2345-6789",
                key=f"{key}_phone",
            ),
        }
        submitted = st.form_submit_button(
            _("Save and continue"), type="primary", icon=":material/arrow_forward:"
        )
    return values if submitted else None


def _editor(
    frame: pd.DataFrame, key: str, config: dict[str, Any], dynamic: bool = True
) -> list[dict[str, Any]]:
    edited = st.data_editor(
        frame,
        key=key,
        column_config=config,
        num_rows="dynamic" if dynamic else "fixed",
        hide_index=True,
        width="stretch",
    )
    return [{k: _clean(v) for k, v in row.items()} for row in edited.to_dict("records")]


def locations_form(data: list[dict[str, Any]], key: str) -> list[dict[str, Any]] | None:
    rows = data or [{"name": "", "address": "", "province": None, "city": ""}]
    with st.form(key):
        table = _editor(
            pd.DataFrame(rows, columns=["name", "address", "province", "city"]),
            f"{key}_table",
            {
                "name": st.column_config.TextColumn(_("Name"), required=True),
                "address": st.column_config.TextColumn(_("Address"), required=True),
                "province": st.column_config.SelectboxColumn(
                    _("Province"), options=PROVINCE_NAMES, required=True
                ),
                "city": st.column_config.TextColumn(_("City"), required=True),
            },
        )
        pasted_text = _paste_box(f"{key}_paste")
        submitted = st.form_submit_button(
            _("Save and continue"), type="primary", icon=":material/arrow_forward:"
        )
    if not submitted:
        return None
    pasted = _pasted("locations", pasted_text)
    if pasted is not None:
        return [{k: r.get(k, "") for k in ("name", "address", "province", "city")} for r in pasted]
    return [r for r in table if any(r.values())]


def hours_form(locations: list[str], data: dict[str, Any], key: str) -> dict[str, Any] | None:
    rows = [
        {"location": name, **week_to_cells(data.get(name) or WEEKDAYS_9_TO_20)}
        for name in locations
    ]
    config: dict[str, Any] = {"location": st.column_config.TextColumn(_("Location"), disabled=True)}
    config.update(
        {
            c: st.column_config.TextColumn(
                _(DAY_LABELS[c]), help=_("09:00-13:00, 14:00-20:00; empty = closed")
            )
            for c in WEEKDAY_COLUMNS
        }
    )
    with st.form(key):
        st.caption(
            _(
                "One row per location: shifts like 09:00-13:00, 14:00-20:00; "
                "leave a day empty when closed."
            )
        )
        table = _editor(pd.DataFrame(rows), f"{key}_table", config, dynamic=False)
        pasted_text = _paste_box(f"{key}_paste")
        submitted = st.form_submit_button(
            _("Save and continue"), type="primary", icon=":material/arrow_forward:"
        )
    if not submitted:
        return None
    pasted = _pasted("locations", pasted_text)
    if pasted is not None:
        return {r.get("name", ""): cells_to_week(r) for r in pasted}
    return {r["location"]: cells_to_week(r) for r in table}


def _number(value: Any) -> Any:
    if isinstance(value, str):
        parsed = parse_number(value)
        return value if parsed is None else parsed
    value = _clean(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def services_form(
    vertical: str, data: list[dict[str, Any]], key: str
) -> list[dict[str, Any]] | None:
    rows = data or service_template(vertical)
    with st.form(key):
        if not data:
            st.caption(
                _(
                    "Pre-filled with the typical services and prices of this business type; "
                    "edit freely."
                )
            )
        table = _editor(
            pd.DataFrame(rows, columns=["name", "category", "duration_min", "price_ars"]),
            f"{key}_table",
            {
                "name": st.column_config.TextColumn(_("Service"), required=True),
                "category": st.column_config.TextColumn(_("Category"), required=True),
                "duration_min": st.column_config.NumberColumn(
                    _("Minutes"), step=5, min_value=5, required=True
                ),
                "price_ars": st.column_config.NumberColumn(
                    _("Price (ARS)"), format="$ %.0f", min_value=0, required=True
                ),
            },
        )
        pasted_text = _paste_box(f"{key}_paste")
        submitted = st.form_submit_button(
            _("Save and continue"), type="primary", icon=":material/arrow_forward:"
        )
    if not submitted:
        return None
    pasted = _pasted("services", pasted_text)
    source = (
        pasted
        if pasted is not None
        else [r for r in table if any(v is not None and v != "" for v in r.values())]
    )
    return [
        {
            "name": r.get("name") or "",
            "category": r.get("category") or "",
            "duration_min": _number(r.get("duration_min")),
            "price_ars": _number(r.get("price_ars")),
        }
        for r in source
    ]


def staff_form(
    vertical: str, locations: list[str], services: list[str], data: list[dict[str, Any]], key: str
) -> list[dict[str, Any]] | None:
    rows = [
        {
            "name": p["name"],
            "location": p["location"],
            "role": p["role"],
            "services": list(p["services"]),
            **week_to_cells(p["hours"]),
        }
        for p in data
    ] or [
        {
            "name": "",
            "location": locations[0] if locations else None,
            "role": default_role(vertical),
            "services": [],
            **week_to_cells(STAFF_WEEK),
        }
    ]
    config: dict[str, Any] = {
        "name": st.column_config.TextColumn(_("Name"), required=True),
        "location": st.column_config.SelectboxColumn(
            _("Location"), options=locations, required=True
        ),
        "role": st.column_config.TextColumn(_("Role"), required=True),
        "services": st.column_config.MultiselectColumn(_("Services performed"), options=services),
    }
    config.update({c: st.column_config.TextColumn(_(DAY_LABELS[c])) for c in WEEKDAY_COLUMNS})
    with st.form(key):
        st.caption(_("Working hours per day like 10:00-19:00; leave a day empty when off."))
        table = _editor(pd.DataFrame(rows, columns=list(rows[0])), f"{key}_table", config)
        pasted_text = _paste_box(f"{key}_paste")
        submitted = st.form_submit_button(
            _("Save and continue"), type="primary", icon=":material/arrow_forward:"
        )
    if not submitted:
        return None
    pasted = _pasted("staff", pasted_text)
    if pasted is not None:
        return [
            {
                "name": r.get("name", ""),
                "location": r.get("location", ""),
                "role": r.get("role", ""),
                "services": services
                if r.get("services", "").strip() == "*"
                else [s.strip() for s in r.get("services", "").split(";") if s.strip()],
                "hours": cells_to_week(r),
            }
            for r in pasted
        ]
    return [
        {
            "name": r.get("name") or "",
            "location": r.get("location") or "",
            "role": r.get("role") or "",
            "services": list(r.get("services") or []),
            "hours": cells_to_week(r),
        }
        for r in table
        if r.get("name") or r.get("services")
    ]


def integrations_form(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    mp, wa, cal = (data.get(k) or {} for k in ("mercadopago", "whatsapp", "calendar"))
    with st.form(key):
        st.subheader(_("MercadoPago"), divider="gray")
        mp_on = st.toggle(
            _("Take payments with MercadoPago"), bool(mp.get("enabled")), key=f"{key}_mp"
        )
        token_hint = (mp.get("token") or {}).get("hint")
        token = st.text_input(
            _("Access token"),
            type="password",
            placeholder=token_hint or "APP_USR-…",
            help=_(
                "Only a masked hint and a fingerprint are kept; leave empty to keep the saved one."
            ),
            key=f"{key}_mp_token",
        )
        mp_email = st.text_input(
            _("MercadoPago account e-mail"), mp.get("account_email") or "", key=f"{key}_mp_email"
        )
        st.subheader(_("WhatsApp reminders"), divider="gray")
        wa_on = st.toggle(
            _("Send booking reminders by WhatsApp"), bool(wa.get("enabled")), key=f"{key}_wa"
        )
        wa_phone = st.text_input(
            _("WhatsApp sender number"), wa.get("sender_phone") or "", key=f"{key}_wa_phone"
        )
        wa_hours = st.number_input(
            _("Hours before the booking"),
            1,
            72,
            int(wa.get("hours_before") or 24),
            key=f"{key}_wa_hours",
        )
        st.subheader(_("Calendar sync"), divider="gray")
        cal_on = st.toggle(
            _("Sync bookings to a calendar"), bool(cal.get("enabled")), key=f"{key}_cal"
        )
        provider = st.selectbox(
            _("Calendar provider"),
            CALENDAR_PROVIDERS,
            _index(CALENDAR_PROVIDERS, cal.get("provider")),
            format_func={"google": "Google Calendar", "outlook": "Outlook"}.__getitem__,
            key=f"{key}_cal_provider",
        )
        cal_email = st.text_input(
            _("Calendar account e-mail"), cal.get("account_email") or "", key=f"{key}_cal_email"
        )
        submitted = st.form_submit_button(
            _("Save and continue"), type="primary", icon=":material/arrow_forward:"
        )
    if not submitted:
        return None
    kept_token = mp.get("token") if not token and mp.get("token") else token
    return {
        "mercadopago": {"enabled": mp_on, "access_token": kept_token, "account_email": mp_email},
        "whatsapp": {"enabled": wa_on, "sender_phone": wa_phone, "hours_before": wa_hours},
        "calendar": {"enabled": cal_on, "provider": provider, "account_email": cal_email},
    }
