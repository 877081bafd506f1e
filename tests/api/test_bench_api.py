"""bench/api.py's pure pieces: the percentile it reports, the query it builds from the
schema, the unique businesses it initiates."""

from __future__ import annotations

from datetime import timedelta

from bench.api import _percentile, _query_for, vary
from core.clock import today
from core.validation.identity import cuit_check_digit

EXAMPLE = {
    "business": {"legal_name": "Barbería SRL", "trade_name": "Barbería", "cuit": "x"},
    "contact": {"owner_name": "Lucía", "email": "lucia@barberia.com.ar"},
}


def test_the_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert _percentile(values, 0.95) == 19.0  # rank ceil(20 * 0.95) = 19
    assert _percentile(values, 0.5) == 10.0
    assert _percentile([7.0], 0.95) == 7.0
    assert _percentile([5.0, 1.0, 3.0], 0.95) == 5.0  # rank ceil(2.85) = 3


def test_queries_are_built_from_the_schema_or_the_route_is_skipped() -> None:
    dated = {
        "parameters": [
            {"name": "from", "in": "query", "required": True, "schema": {"format": "date"}},
            {"name": "to", "in": "query", "required": True, "schema": {"format": "date"}},
            {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}},
        ]
    }
    query, problem = _query_for(dated, {})
    start, end = (today() - timedelta(days=90)).isoformat(), today().isoformat()
    assert problem is None and query == f"?from={start}&to={end}"
    tracked = {"parameters": [{"name": "session_id", "in": "query", "required": True}]}
    assert _query_for(tracked, {"session_id": 812}) == ("?session_id=812", None)
    assert _query_for(tracked, {})[1] == "needs session_id, which no route of the bench returned"
    assert _query_for({}, {}) == ("", None)


def test_each_initiated_business_is_new_and_its_cuit_valid() -> None:
    first, second = vary(EXAMPLE, 1), vary(EXAMPLE, 2)
    assert EXAMPLE["business"]["cuit"] == "x"  # the example itself is untouched
    assert first["business"]["cuit"] != second["business"]["cuit"]
    for body in (first, second):
        digits = body["business"]["cuit"].replace("-", "")
        assert len(digits) == 11 and cuit_check_digit(digits[:10]) == int(digits[10])
    assert first["business"]["trade_name"] == "Barbería 1"
    assert first["contact"]["email"] == "lucia+bench1@barberia.com.ar"
