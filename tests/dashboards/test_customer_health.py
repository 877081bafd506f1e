"""Customer Health builder vs an independent pandas computation on a generated data set."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.metrics.frames.health import compute as health_frames
from core.models.health.score import health_scores_for_days, store_scores
from dashboards import customer_health as health
from dashboards.filters import Filters
from data.generate import generate_demo_data

TODAY = date(2026, 4, 10)
DAYS = [TODAY - timedelta(days=14), TODAY - timedelta(days=7), TODAY]


@pytest.fixture(scope="module")
def health_set(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('health') / 'demo.db'}"
    generate_demo_data(url, tenants=24, months=8, seed=5, today=TODAY)
    engine = create_engine_for(url)
    with Session(engine) as session:
        scores = health_scores_for_days(session, DAYS)
    with Session(engine) as session, session.begin():
        for day in DAYS:
            store_scores(session=session, day=day, scores=scores[day])
    with Session(engine) as session:
        frames = health_frames(session, TODAY)
    with engine.connect() as connection:
        raw = pd.read_sql("SELECT * FROM console_health_scores", connection)
        tenants = pd.read_sql(
            "SELECT id AS tenant_id, trade_name, tier, vertical, province, partner_id FROM tenants",
            connection,
        )
    engine.dispose()
    raw["day"] = pd.to_datetime(raw["day"]).dt.date
    return frames, raw, tenants


def _view(health_set, filters: Filters | None = None) -> health.HealthView:
    frames, _raw, tenants = health_set
    return health.build_view(
        frames["health_latest"], frames["health_history"], frames["health_weights"], tenants,
        filters or Filters(), locale="en",
    )  # fmt: skip


def test_tiles_match_the_stored_table(health_set) -> None:
    _frames, raw, _tenants = health_set
    view = _view(health_set)
    today, before = raw[raw["day"] == TODAY], raw[raw["day"] == DAYS[1]]
    assert len(today) >= 15  # the generated set has enough live tenants to mean something
    tiles = {tile.key: tile for tile in view.tiles}
    for band in ("green", "yellow", "red"):
        now, then = int((today["band"] == band).sum()), int((before["band"] == band).sum())
        tile = tiles[f"{band}_tenants"]
        assert tile.label == f"{band.capitalize()} tenants"
        assert tile.value == str(now)
        assert tile.delta == (f"{now - then:+d}" if now != then else "0")
    mean = today["score"].mean()
    assert tiles["mean_health_score"].value == f"{mean:.1f}"
    assert view.day == TODAY


def test_filtered_numbers(health_set) -> None:
    _frames, raw, tenants = health_set
    filters = Filters(tiers=("pro",))
    view = _view(health_set, filters)
    today = raw[(raw["day"] == TODAY) & (raw["tier"] == "pro")]
    assert list(view.table["tenant_id"].sort_values()) == sorted(today["tenant_id"])
    pro_now = set(tenants.loc[tenants["tier"] == "pro", "tenant_id"])
    past = raw[raw["tenant_id"].isin(pro_now)]
    expected = past.dropna(subset=["band"]).groupby(["day", "band"]).size().unstack(fill_value=0)
    frames = health_set[0]
    counts = health.band_counts(health.filter_history(frames["health_history"], tenants, filters))
    for day, row in expected.iterrows():
        for band, n in row.items():
            assert counts.loc[pd.Timestamp(day), band] == n


def test_components_movers_and_missing(health_set) -> None:
    frames, raw, _tenants = health_set
    latest = frames["health_latest"]
    today = raw[raw["day"] == TODAY].set_index("tenant_id")
    before = raw[raw["day"] == DAYS[1]].set_index("tenant_id")["score"]
    means = health.component_means(latest)
    expected = today.groupby("tier")["usage_score"].mean()
    for tier, value in expected.items():
        assert means.loc[tier, "usage"] == pytest.approx(value, nan_ok=True)
    delta = (today["score"] - before.reindex(today.index)).dropna()
    improved, declined = health.movers(latest)
    assert list(improved["tenant_id"]) == list(
        delta[delta > 0].sort_values(ascending=False).index[: health.MOVERS_SHOWN]
    )
    assert list(declined["delta_7d"]) == pytest.approx(
        list(delta[delta < 0].sort_values().iloc[: health.MOVERS_SHOWN])
    )
    missing = today["missing"].apply(lambda m: m if isinstance(m, list) else json.loads(m))
    counts = missing.explode().dropna().value_counts()
    assert health.missing_counts(latest).to_dict() == counts.to_dict()
    view = _view(health_set)
    if len(counts):
        assert view.missing_note is not None and "tenants" in view.missing_note
    # Weakest component: the lowest available component score of the row.
    row = latest.iloc[0]
    components = today.loc[row["tenant_id"], [f"{c}_score" for c in health.COMPONENTS]]
    assert row["weakest"] == components.astype(float).idxmin().removesuffix("_score")


def test_filters_with_nothing_and_no_scores_say_so(health_set) -> None:
    frames, _raw, tenants = health_set
    view = _view(health_set, Filters(provinces=("Atlántida",)))
    assert view.message.startswith("No tenant matches these filters")
    empty = health.build_view(
        frames["health_latest"].iloc[0:0], frames["health_history"].iloc[0:0],
        frames["health_weights"], tenants, Filters(), locale="en",
    )  # fmt: skip
    assert empty.message.startswith("No health scores yet")
    assert view.tiles == [] and empty.table is None
