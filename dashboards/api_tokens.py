"""API tokens: the token list, its filters and its CSV, for admins and for My account.

Pure: a frame of ``core.queries.api_tokens.api_tokens`` in, frames to show out. Labels
and hints are shown as given (tables and CSV cells are text, not markdown; the CSV
download neutralises formulas).
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from core.auth.roles import ROLE_LABELS
from core.i18n import N_, translator

STATE_LABELS = {
    "active": N_("Active"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
    "user_deactivated": N_("User deactivated"),
}
# Columns of the admins' table, in order, the state first (the CSV adds the revocation time).
ALL_COLUMNS = [
    "token_id",
    "state",
    "full_name",
    "email",
    "role",
    "name",
    "hint",
    "created_at",
    "created_by",
    "expires_at",
    "last_used_at",
]
# A user's own list: who holds them goes without saying.
OWN_COLUMNS = ["token_id", "state", "name", "hint", "created_at", "expires_at", "last_used_at"]


def filter_tokens(
    frame: pd.DataFrame, *, states: Collection[str] = (), user_id: int | None = None
) -> pd.DataFrame:
    """The rows in one of ``states`` (none given: every state) held by ``user_id``."""
    keep = pd.Series(True, index=frame.index)
    if states:
        keep &= frame["state"].isin(list(states))
    if user_id is not None:
        keep &= frame["user_id"] == user_id
    return frame[keep]


def shown_hint(hint: str) -> str:
    """The stored prefix with an ellipsis: it is the start of a token, not a token."""
    return f"{hint}…"


def token_table(frame: pd.DataFrame, *, locale: str, own: bool = False) -> pd.DataFrame:
    """Tokens as a table shows them: translated role and state, the hint, the issuer
    ("command line" when issued from the shell)."""
    _ = translator(locale)
    shown = frame.assign(
        role=frame["role"].map(lambda r: _(ROLE_LABELS.get(r, r))),
        hint=frame["hint"].map(shown_hint),
        created_by=frame["created_by"].map(lambda n: _("command line") if pd.isna(n) else n),
        state=frame["state"].map(lambda s: _(STATE_LABELS.get(s, s))),
    )
    return shown[OWN_COLUMNS if own else ALL_COLUMNS].reset_index(drop=True)


def csv_table(frame: pd.DataFrame, *, locale: str) -> pd.DataFrame:
    """The admins' table plus when each token was revoked, for the CSV download."""
    table = token_table(frame, locale=locale)
    return table.assign(revoked_at=frame["revoked_at"].reset_index(drop=True))


def revocable(frame: pd.DataFrame) -> pd.DataFrame:
    """Tokens that a revocation would change: not revoked yet (expired ones included,
    so a token is closed for good before its user is reactivated)."""
    return frame[frame["state"] != "revoked"]


def token_choice(row: pd.Series) -> str:
    """One token in a picker: its number, label, hint and holder."""
    return f"#{row['token_id']} · {row['name']} · {shown_hint(row['hint'])} · {row['email']}"
