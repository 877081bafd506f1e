"""Users (administrators): accounts, roles, deactivation, password resets, books."""

import streamlit as st

from core.auth.roles import ROLE_LABELS, ROLES
from core.errors import DomainError
from core.queries.accounts import console_users, tenants_and_owners
from core.users import AddUser, AssignBook, ChangeUser, ResetPassword
from ui import db
from ui.auth import current_actor
from ui.errors import show_error
from ui.i18n import _
from ui.render import show_table

st.title(_("Users"))


def _run(command: object, done: str) -> None:
    try:
        db.execute(command, actor=current_actor())  # type: ignore[arg-type]
    except DomainError as error:
        show_error(error)
    else:
        st.success(done)


def _role(role: str) -> str:
    return _(ROLE_LABELS.get(role, role))


with db.session() as session:
    people = console_users(session=session)
    tenants = tenants_and_owners(session=session)

shown = people.assign(
    role=people["role"].map(_role),
    active=people["active"].map({True: _("Active"), False: _("Deactivated")}),
    has_password=people["has_password"].map({True: _("Password"), False: _("SSO only")}),
)
show_table(
    shown.drop(columns=["user_id"]),
    column_config={
        "full_name": _("Name"),
        "email": _("Email"),
        "role": _("Role"),
        "active": _("State"),
        "has_password": _("Sign-in"),
        "book_size": st.column_config.NumberColumn(_("Tenants in book"), format="%d"),
        "last_sign_in": st.column_config.DatetimeColumn(
            _("Last sign-in"), format="DD/MM/YYYY HH:mm"
        ),
    },
)

add, change, reset, books = st.tabs(
    [_("Add a user"), _("Change a user"), _("Reset a password"), _("Books of business")]
)
emails = list(people["email"])
with add, st.form("add_user", clear_on_submit=True):
    name = st.text_input(_("Name"))
    email = st.text_input(_("Email"))
    role = st.selectbox(_("Role"), ROLES, format_func=_role)
    password = st.text_input(
        _("Initial password (leave empty for single sign-on only)"), type="password"
    )
    if st.form_submit_button(_("Add user"), type="primary"):
        _run(AddUser(email, name, role, password or None), _("User added."))
with change, st.form("change_user"):
    who = st.selectbox(_("User"), emails, index=None, key="change_who")
    new_role = st.selectbox(
        _("Role"), [None, *ROLES], format_func=lambda r: "—" if r is None else _role(r)
    )
    state = st.radio(
        _("State"),
        [None, True, False],
        horizontal=True,
        format_func=lambda v: "—" if v is None else (_("Active") if v else _("Deactivated")),
    )
    if st.form_submit_button(_("Save"), type="primary") and who:
        _run(ChangeUser(who, role=new_role, active=state), _("User changed."))
with reset, st.form("reset_password", clear_on_submit=True):
    who = st.selectbox(_("User"), emails, index=None, key="reset_who")
    new_password = st.text_input(_("New password"), type="password")
    if st.form_submit_button(_("Set password"), type="primary") and who:
        _run(ResetPassword(who, new_password), _("Password set; their sessions ended."))
with books:
    managers = people[people["role"].isin(["cs_manager", "cs_lead"]) & people["active"]]
    owners = dict(zip(managers["user_id"], managers["full_name"], strict=True))
    labels = dict(zip(tenants["tenant_id"], tenants["trade_name"], strict=True))
    with st.form("assign_book"):
        picked = st.multiselect(
            _("Tenants"), list(labels), format_func=lambda t: f"{labels[t]} (#{t})"
        )
        owner = st.selectbox(
            _("Move to the book of"),
            [None, *owners],
            format_func=lambda u: _("Nobody") if u is None else owners[u],
        )
        if st.form_submit_button(_("Move"), type="primary"):
            _run(AssignBook([int(t) for t in picked], owner), _("Book of business updated."))
    st.caption(
        _("{n} tenants have no CS owner.").format(n=int(tenants["cs_owner_id"].isna().sum()))
    )
