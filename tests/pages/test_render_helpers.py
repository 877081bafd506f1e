"""ui/render.py's shared page helpers: tiles, CSV downloads and the live-context shortcuts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.i18n import gettext
from dashboards.filters import Filters
from ui.render import cpi_for, detail_as_of, detail_version, snapshot_versions


def _tiles_app() -> None:
    from dataclasses import dataclass

    from ui.render import show_tiles

    @dataclass
    class Plain:
        label: str
        value: str
        help: str

    @dataclass
    class WithDelta(Plain):
        delta: str | None = None
        delta_color: str = "normal"
        delta_arrow: str = "auto"

    show_tiles([Plain(f"t{i}", str(i), "h") for i in range(5)], per_row=3)
    show_tiles([WithDelta("d", "1", "h", "+2 %", "inverse", "off")], per_row=None)


def test_tiles_fill_rows_of_per_row_and_take_optional_fields():
    app = AppTest.from_function(_tiles_app).run()
    assert not app.exception
    assert [m.label for m in app.metric] == ["t0", "t1", "t2", "t3", "t4", "d"]
    assert [m.value for m in app.metric] == ["0", "1", "2", "3", "4", "1"]
    # 5 tiles in rows of 3: two rows of three columns; then one row of one column.
    assert len(app.columns) == 7
    assert app.metric[5].delta == "+2 %"
    assert all(m.proto.show_border for m in app.metric)


def _download_app() -> None:
    import pandas as pd

    from ui.render import download_csv

    frame = pd.DataFrame({"name": ["Peluquería"], "n": [1.5]})
    download_csv(frame, "a.csv", key="a_csv")
    download_csv(frame, "b.csv", key="b_csv", bom=False, rerun=True, label="Get it")


def test_download_csv_labels_keys_and_encoding():
    app = AppTest.from_function(_download_app).run()
    assert not app.exception
    buttons = app.get("download_button")
    assert len(buttons) == 2
    first, second = (b.proto for b in buttons)
    assert first.id.endswith("a_csv") and second.id.endswith("b_csv")
    assert first.label == gettext("Download CSV", "es_AR") and second.label == "Get it"
    assert first.ignore_rerun and not second.ignore_rerun


@dataclass
class _Snapshot:
    version: int
    as_of: datetime


class _Ctx(SimpleNamespace):
    def has_frame(self, name: str) -> bool:
        return name in self.frames

    def frame(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def test_context_shortcuts():
    at = datetime(2026, 3, 5, 10)
    cpi = pd.DataFrame({"month": [date(2026, 1, 1)], "index_value": [1.0]})
    bare = _Ctx(snapshot=None, detail=None, at=at, frames={})
    full = _Ctx(
        snapshot=_Snapshot(7, at),
        detail=_Snapshot(3, datetime(2026, 3, 4, 23)),
        at=at,
        frames={"cpi_monthly": cpi},
    )
    assert snapshot_versions(bare) == (0, 0) and detail_version(bare) == 0
    assert snapshot_versions(full) == (7, 3) and detail_version(full) == 3
    assert detail_as_of(bare) == date(2026, 3, 5)
    assert detail_as_of(full) == date(2026, 3, 4)
    nominal = Filters(start=date(2026, 1, 1), end=date(2026, 3, 1))
    constant = Filters(
        start=date(2026, 1, 1), end=date(2026, 3, 1), constant_ars_month=date(2026, 1, 1)
    )
    assert cpi_for(full, nominal) is None
    assert cpi_for(full, constant) is cpi
    assert cpi_for(bare, constant) is None


@pytest.mark.parametrize("dtype", [object, "str", "string"])
def test_csv_cells_are_neutralised_whatever_the_text_dtype(dtype):
    # pandas 3 infers its "str" dtype for text; a column of it must be neutralised too.
    from ui.render import neutralised

    frame = pd.DataFrame({"name": pd.Series(["=1+1", "ok", "-2"], dtype=dtype), "n": [-1, 0, 1]})
    fixed = neutralised(frame)
    assert list(fixed["name"]) == ["'=1+1", "ok", "'-2"] and list(fixed["n"]) == [-1, 0, 1]
