"""The API tokens builder: filters, the tables an admin and a user see, the CSV cells."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pandas as pd

from core.queries.api_tokens import TOKEN_COLUMNS
from dashboards.api_tokens import (
    ALL_COLUMNS,
    OWN_COLUMNS,
    csv_table,
    filter_tokens,
    revocable,
    token_choice,
    token_table,
)
from ui.render import neutralised

AT = datetime(2026, 12, 7, 12, 0)


def _frame() -> pd.DataFrame:
    rows = [
        # token_id, user_id, full_name, email, role, name, hint, created_at, created_by,
        # expires_at, last_used_at, revoked_at, state
        (
            4,
            2,
            "=cmd|' /C calc'!A0",
            "eve@barberpro.com.ar",
            "executive",
            '=HYPERLINK("x")',
            "bp_AbCd",
            AT,
            "Ana Admin",
            None,
            AT,
            None,
            "active",
        ),
        (
            3,
            2,
            "=cmd|' /C calc'!A0",
            "eve@barberpro.com.ar",
            "executive",
            "+1 export",
            "bp_EfGh",
            AT,
            None,
            AT,
            None,
            None,
            "expired",
        ),
        (
            2,
            1,
            "Ana Admin",
            "ana@barberpro.com.ar",
            "admin",
            "@status board",
            "bp_IjKl",
            AT,
            "Ana Admin",
            None,
            None,
            AT,
            "revoked",
        ),
        (
            1,
            3,
            "Gus Ido",
            "gus@barberpro.com.ar",
            "cs_manager",
            "-old",
            "bp_MnOp",
            AT,
            None,
            None,
            None,
            None,
            "user_deactivated",
        ),
    ]
    frame = pd.DataFrame(rows, columns=TOKEN_COLUMNS)
    frame["created_by"] = (
        frame["created_by"].astype(object).where(frame["created_by"].notna(), None)
    )
    return frame


def test_filters_by_state_and_user():
    frame = _frame()
    assert list(filter_tokens(frame)["token_id"]) == [4, 3, 2, 1]
    assert list(filter_tokens(frame, states=["expired", "revoked"])["token_id"]) == [3, 2]
    assert list(filter_tokens(frame, user_id=2)["token_id"]) == [4, 3]
    assert list(filter_tokens(frame, states=["active"], user_id=1)["token_id"]) == []


def test_tables_translate_roles_and_states_and_show_hints_only():
    table = token_table(_frame(), locale="es_AR")
    assert list(table.columns) == ALL_COLUMNS
    assert list(table["state"]) == ["Activo", "Vencido", "Revocado", "Usuario desactivado"]
    assert list(table["role"])[2] == "Administración"
    assert list(table["hint"]) == ["bp_AbCd…", "bp_EfGh…", "bp_IjKl…", "bp_MnOp…"]
    assert list(table["created_by"]) == [
        "Ana Admin",
        "línea de comandos",
        "Ana Admin",
        "línea de comandos",
    ]
    own = token_table(filter_tokens(_frame(), user_id=2), locale="en", own=True)
    assert list(own.columns) == OWN_COLUMNS and list(own["state"]) == ["Active", "Expired"]


def test_revocable_leaves_out_revoked_tokens_only():
    assert list(revocable(_frame())["token_id"]) == [4, 3, 1]
    assert token_choice(_frame().iloc[0]) == (
        '#4 · =HYPERLINK("x") · bp_AbCd… · eve@barberpro.com.ar'
    )


def test_csv_cells_never_run_as_formulas():
    # What ui.render.download_csv writes: the CSV table, neutralised.
    text = neutralised(csv_table(_frame(), locale="en")).to_csv(index=False)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == [
        '\'=HYPERLINK("x")',
        "'+1 export",
        "'@status board",
        "'-old",
    ]
    assert rows[0]["full_name"] == "'=cmd|' /C calc'!A0"
    assert rows[2]["revoked_at"] == "2026-12-07 12:00:00" and rows[0]["revoked_at"] == ""
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())
