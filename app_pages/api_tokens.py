"""API tokens (administrators): every token of the JSON API, issuing one, revoking one."""

import streamlit as st

from core.clock import now
from core.queries.accounts import console_users
from core.queries.api_tokens import api_tokens
from dashboards.api_tokens import csv_table, filter_tokens
from ui import api_tokens as tokens_ui
from ui import db
from ui.i18n import _, current_locale
from ui.render import download_csv

st.title(_("API tokens"))
st.caption(
    _(
        "Bearer tokens for the JSON API: each acts as its console user, with that user's "
        "role. Also from the server's shell: `python -m core.users token --email E`."
    )
)
tokens_ui.show_done()
panel = st.container()
listing = st.container()

st.divider()
issue, revoke = st.columns(2, gap="large")
with db.session() as session:
    people = console_users(session=session)
with issue:
    st.subheader(_("Issue a token"), anchor=False)
    issued = tokens_ui.issue_form(people)
if issued is not None:
    holder = people.set_index("user_id").loc[issued.user_id]
    with panel:
        tokens_ui.show_issued_once(issued, f"{holder['full_name']} ({holder['email']})")

# Read after issuing, so a new token is in the list of the run that shows it.
with db.session() as session:
    tokens = api_tokens(session=session, at=now())
with revoke:
    st.subheader(_("Revoke a token"), anchor=False)
    tokens_ui.revoke_form(tokens, key="revoke_api_token")

with listing:
    if tokens.empty:
        st.info(_("No API tokens yet: issue the first one below."))
    else:
        st.caption(tokens_ui.state_summary(tokens))
        by_state, by_user = st.columns(2)
        with by_state:
            states = tokens_ui.state_filter("api_tokens_states")
        holders = tokens.drop_duplicates("user_id").set_index("user_id")[["full_name", "email"]]
        # Labels computed in this run (AppTest calls format_func outside it).
        names: dict[int | None, str] = {None: _("Everyone")}
        names |= {int(u): f"{r['full_name']} · {r['email']}" for u, r in holders.iterrows()}
        with by_user:
            user_id = st.selectbox(
                _("User"), list(names), format_func=names.__getitem__, key="api_tokens_user"
            )
        shown = filter_tokens(tokens, states=states, user_id=user_id)
        tokens_ui.token_list(shown)
        download_csv(
            csv_table(shown, locale=current_locale()), "api_tokens.csv", key="api_tokens_csv"
        )
