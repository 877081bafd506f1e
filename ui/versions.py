"""The version of a record the user saw, carried into the command that changes it.

A click reruns the whole page, and the rerun reads the record again before it handles
the click: passing that fresh version to the command would let a form rendered before
another window's save overwrite it. So every run remembers the version it rendered, and
a command uses the one the previous run rendered, which is what the user looked at.
"""

from __future__ import annotations

import streamlit as st

_KEY = "shown_versions"


def shown_version(kind: str, record_id: int, current: int) -> int:
    """The version of ``kind`` #``record_id`` the user saw (``current`` on a first render).

    Call it once per run and record, right after reading the record; it remembers
    ``current`` for the next run.
    """
    versions: dict[str, int] = st.session_state.setdefault(_KEY, {})
    key = f"{kind}:{record_id}"
    seen = versions.get(key, current)
    versions[key] = current
    return seen
