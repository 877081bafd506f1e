"""The metric registry: every metric the console shows is declared once, in one place.

``_register`` refuses a second metric with a key or a label already taken; every entry
is complete (a definition, a unit the kit can show, a real source module); and no page,
builder or UI helper writes a tile's label itself: tiles take it from the registry.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from core.i18n import gettext
from core.metrics.registry import METRICS, TODAY_SO_FAR, Metric, _register
from dashboards.kit import format_value, metric_tile
from dashboards.kit.tiles import UNITS

ROOT = Path(__file__).resolve().parents[3]
ALL = [*METRICS.values(), *TODAY_SO_FAR.values()]
GRAINS = {"point", "window", "period", "today", "status"}


def _metric(key: str, label: str) -> Metric:
    return Metric(key, label, "count", "A definition.", "period", None)


def test_register_refuses_a_duplicate_key() -> None:
    with pytest.raises(ValueError, match="'a' is declared twice"):
        _register([_metric("a", "A"), _metric("a", "Another A")])


def test_register_refuses_a_duplicate_label() -> None:
    with pytest.raises(ValueError, match="share a label"):
        _register([_metric("a", "Same"), _metric("b", "Same")])
    assert list(_register([_metric("a", "A"), _metric("b", "B")])) == ["a", "b"]


def test_no_two_metrics_share_a_key_or_a_label_across_the_registries() -> None:
    keys = [m.key for m in ALL]
    labels = [m.label for m in ALL]
    assert len(set(keys)) == len(keys)
    assert len(set(labels)) == len(labels), sorted(
        label for label in set(labels) if labels.count(label) > 1
    )
    # ...in every language: two labels must not read the same once translated.
    spanish = [gettext(label, "es_AR") for label in labels]
    assert len(set(spanish)) == len(spanish)


@pytest.mark.parametrize("metric", ALL, ids=lambda m: m.key)
def test_every_metric_is_complete(metric: Metric) -> None:
    assert metric.key and metric.key == metric.key.strip()
    assert metric.label.strip()
    assert metric.definition.strip()
    # A definition is shown as it is: what changes per render is appended by the builder.
    assert "{" not in metric.definition and "{" not in metric.label
    assert metric.unit in UNITS
    assert metric.grain in GRAINS
    assert metric.higher_is_better in (True, False, None)


# Keys whose ``source`` is known not to be the computing module (none today); a key that
# gets its real source must leave this list (the test after the next fails until it does).
SOURCE_PENDING: set[str] = set()


def _mentions(metric: Metric) -> bool:
    return metric.key in inspect.getsource(importlib.import_module(metric.source))


@pytest.mark.parametrize("metric", ALL, ids=lambda m: m.key)
def test_every_source_is_a_module_that_mentions_the_key(metric: Metric) -> None:
    module = importlib.import_module(metric.source)  # importable
    assert module.__name__ == metric.source
    if metric.key not in SOURCE_PENDING:
        assert _mentions(metric), f"{metric.source} never mentions {metric.key!r}"


def test_the_pending_sources_are_still_pending() -> None:
    assert SOURCE_PENDING.issubset(METRICS)
    assert [key for key in sorted(SOURCE_PENDING) if _mentions(METRICS[key])] == []


def test_every_unit_can_be_shown() -> None:
    assert format_value("seconds", 0.2, locale="en") == "0.20 s"
    assert format_value("seconds", 180, locale="en") == "3 min"
    assert format_value("text", "v3", locale="en") == "v3"
    for unit in UNITS - {"text"}:
        assert format_value(unit, 1.0, locale="en")


def test_a_metric_tile_takes_label_direction_and_definition_from_the_registry() -> None:
    stalled = metric_tile(METRICS["stalled"], 3, 1, locale="en", note="Stalled after 24 hours.")
    assert (stalled.key, stalled.label, stalled.value) == ("stalled", "Stalled sessions", "3")
    assert stalled.delta == "+2" and stalled.delta_color == "inverse"
    assert stalled.help.startswith(METRICS["stalled"].definition)
    assert stalled.help.endswith("\n\nStalled after 24 hours.")
    last = metric_tile(METRICS["last_refresh"], "failed", locale="es_AR", icon=":material/error:")
    assert (last.label, last.value, last.delta, last.icon) == (
        "Última actualización",
        "failed",
        None,
        ":material/error:",
    )


# ------------------------------------------------------------------- no local labels
SCANNED = ("dashboards", "app_pages", "ui")
# Calls that make a tile or an st.metric; their label is the first argument (or label=).
TILE_CALLS = {"Tile", "tile"}
# The onboarding wizard's summary above its review step (Locations, Staff, ...) recaps the
# form being filled in; it is not a metric of the console.
ALLOWED = {"app_pages/onboarding_wizard.py"}


def _literal(node: ast.expr) -> bool:
    """A label written in place: "...", f"...", _("...") or N_("..."), or one .format()ted."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"_", "N_", "gettext"} and node.args:
            return _literal(node.args[0])
        if isinstance(func, ast.Attribute) and func.attr == "format":
            return _literal(func.value)
    return False


def _label_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "label":
            return keyword.value
    return call.args[0] if call.args else None


def _is_tile_call(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in TILE_CALLS
    return isinstance(func, ast.Attribute) and func.attr == "metric"


def literal_labels(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_tile_call(node):
            label = _label_argument(node)
            if label is not None and _literal(label):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(label)}")
    return found


def test_the_scan_sees_a_literal_label() -> None:
    source = 'tile(_("Bookings"), "count", 1, None)\ncell.metric(label=N_("x").format())\n'
    tree = ast.parse(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_tile_call(n)]
    labels = [_label_argument(call) for call in calls]
    assert [label is not None and _literal(label) for label in labels] == [True, True]
    assert not _literal(ast.parse("_(metric.label)", mode="eval").body)
    assert not _literal(ast.parse("_(METRICS[key].label)", mode="eval").body)


def test_no_tile_writes_its_own_label() -> None:
    files = sorted(p for folder in SCANNED for p in (ROOT / folder).rglob("*.py"))
    assert files
    found = [
        hit
        for path in files
        if str(path.relative_to(ROOT)) not in ALLOWED
        for hit in literal_labels(path)
    ]
    assert found == [], "tiles labelled in place instead of from the registry:\n" + "\n".join(found)
    # The allowance is still needed (and still the only one).
    assert all(literal_labels(ROOT / allowed) for allowed in ALLOWED)
