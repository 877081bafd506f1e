"""The shared dashboard filters: URL round trip, bad links, tenant and day masks."""

from datetime import date

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from dashboards.filters import ORGANIC, Filters, from_params

TENANTS = pd.DataFrame(
    {
        "tenant_id": [1, 2, 3, 4],
        "tier": ["starter", "pro", "enterprise", "pro"],
        "vertical": ["barbershop", "salon", "spa", "salon"],
        "province": ["Córdoba", "Buenos Aires", "Córdoba", "Mendoza"],
        "partner_id": [None, 7, 7, None],
    }
)


def test_url_round_trip_keeps_every_value():
    filters = Filters(
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        tiers=("pro", "enterprise"),
        verticals=("salon",),
        provinces=("Córdoba",),
        partners=(7, ORGANIC),
        constant_ars_month=date(2026, 1, 1),
    )
    parsed, problems = from_params(filters.to_params(), locale="en")
    assert parsed == filters
    assert problems == []


def test_bad_values_in_a_link_are_dropped_and_explained():
    parsed, problems = from_params(
        {"from": "yesterday", "to": "2026-02-30", "tier": "pro", "partner": "x"}, locale="en"
    )
    assert parsed == Filters(tiers=("pro",))
    assert len(problems) == 3
    assert all("Ignored the link's" in p for p in problems)


@given(st.dictionaries(st.sampled_from(["from", "to", "tier", "partner", "ars"]), st.text()))
def test_arbitrary_links_never_raise(params):
    filters, problems = from_params(params, locale="es_AR")
    assert isinstance(filters, Filters)
    assert isinstance(problems, list)


def test_tenant_mask_combines_dimensions_and_organic_partner():
    assert list(Filters(provinces=("Córdoba",)).filter_tenants(TENANTS)["tenant_id"]) == [1, 3]
    assert list(Filters(partners=(ORGANIC,)).filter_tenants(TENANTS)["tenant_id"]) == [1, 4]
    both = Filters(tiers=("pro",), partners=(7,))
    assert list(both.filter_tenants(TENANTS)["tenant_id"]) == [2]
    assert Filters(provinces=("Tierra del Fuego",)).filter_tenants(TENANTS).empty


def test_day_mask_is_inclusive_for_dates_and_datetimes():
    days = pd.Series([date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)])
    filters = Filters(start=date(2026, 1, 2), end=date(2026, 1, 3))
    assert list(filters.day_mask(days)) == [False, True, True]
    moments = pd.Series(pd.to_datetime(["2026-01-03 23:59", "2026-01-04 00:00"]))
    assert list(filters.day_mask(moments)) == [True, False]


def test_problem_names_empty_and_future_ranges():
    today = date(2026, 11, 26)
    assert Filters(start=date(2026, 2, 1), end=date(2026, 1, 1)).problem(today=today, locale="en")
    assert "future" in Filters(start=date(2027, 1, 1)).problem(today=today, locale="en")
    assert Filters(start=date(2026, 1, 1), end=today).problem(today=today, locale="en") is None
