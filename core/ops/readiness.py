"""The launch-readiness score: a weighted checklist, each item judged from real evidence.

The items (:func:`declared_items` lists them with weights, owners and fixes; README
"Launch readiness" is generated from it):

* every item of the hardening audit (``core.ops.hardening.CHECKS``, their own weights),
  judged on the environment as it is now (:func:`readiness` runs the audit unless given
  a report: a stored report may predate a configuration change). The audit's
  ``backups`` and ``restore_drill`` items are the "backup and drill fresh" part of the
  checklist, read from the backup directory's manifests and ``drills.jsonl``; they are
  not counted twice;
* every monitor green for the last 24 h (``ops_monitor_results``), over a full 24 h of
  watchdog evaluations;
* both SLOs met over 7 days (``core.ops.uptime``);
* the churn model promoted and not drifting (the ``ops_monitor_states`` of
  :data:`CHURN_PROMOTED` and :data:`CHURN_DRIFT`);
* the test suite passed for the running commit (JUnit results ``make test`` records,
  ``core.ops.evidence``);
* the benchmark budgets (``bench/results``).

Credit is 1 for pass and 0 for fail. Partial credit exists in two places only, where it
is honest: an audit item the audit itself marks ``warn`` (in place but incomplete, e.g.
pins present but no vulnerability scan possible) earns half; the benchmarks earn the
share of budgets met, each budget being its own measured claim. Score =
sum(weight x credit) / sum(weights) x 100, one decimal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.i18n import N_
from core.ops import evidence
from core.ops.hardening import CHECKS, HardeningReport
from core.ops.incidents import worst
from core.ops.monitors import evidence_text
from core.ops.uptime import freshness_slo, render_slo
from core.schema import OpsMonitorResult, OpsMonitorState

ReadinessStatus = Literal["pass", "partial", "fail"]
MONITORS_WINDOW = timedelta(hours=24)
# The watchdog must have been evaluating since this long after the window's start.
MONITORS_COVERAGE_SLACK = timedelta(minutes=30)
SLO_WINDOW = timedelta(days=7)
BENCH_MAX_AGE_DAYS = 30.0
WARN_CREDIT = 0.5
CHURN_PROMOTED = ("churn.model_age", "churn.score_coverage")
CHURN_DRIFT = ("churn.score_drift", "churn.feature_drift")

OPERATIONS = N_("operations")
ENGINEERING = N_("engineering")
DATA_SCIENCE = N_("data science")
# Who fixes each hardening item: configuration is operations' (the audit's own fixes
# say what to set); schema and dependencies are engineering's.
_HARDENING_OWNERS = {"migrations": ENGINEERING, "dependency_pins": ENGINEERING}


@dataclass(frozen=True)
class Declared:
    """One item of the checklist as declared: what it counts, its weight, who fixes it."""

    id: str
    title: str
    weight: float
    owner: str
    fix: str
    counts: str


_OWN_ITEMS: tuple[Declared, ...] = (
    Declared(
        "monitors_green",
        N_("Monitors green for 24 h"),
        3,
        OPERATIONS,
        N_(
            "Run the watchdog (python -m core.ops.watchdog) for a full day; fix what each "
            "warning or critical monitor's runbook says."
        ),
        N_("every monitor without a warning or critical result in the last 24 h"),
    ),
    Declared(
        "slo_freshness",
        N_("Freshness SLO met over 7 days"),
        2,
        OPERATIONS,
        N_("Keep the scheduler and the watchdog running; see the refresh monitors."),
        N_("snapshot at most 60 s old in 99 % of the minutes observed in 7 days"),
    ),
    Declared(
        "slo_render",
        N_("Render SLO met over 7 days"),
        2,
        ENGINEERING,
        N_("Find the slowest pages on the System status page and speed them up."),
        N_("page render p95 at most 500 ms over the renders of 7 days"),
    ),
    Declared(
        "churn_promoted",
        N_("Churn model promoted and scoring"),
        2,
        DATA_SCIENCE,
        N_("Train and promote a churn model; check the scoring job covers every tenant."),
        N_("monitors churn.model_age and churn.score_coverage ok"),
    ),
    Declared(
        "churn_not_drifting",
        N_("Churn model not drifting"),
        2,
        DATA_SCIENCE,
        N_("Retrain on recent data, compare on the backtest, promote if better."),
        N_("monitors churn.score_drift and churn.feature_drift ok"),
    ),
    Declared(
        "test_suite",
        N_("Test suite passing for this commit"),
        3,
        ENGINEERING,
        N_("Run make test on the deployed commit (it records both runs) and fix failures."),
        N_("JUnit results of make test (unit and e2e) for the running commit, no failures"),
    ),
    Declared(
        "benchmarks",
        N_("Benchmarks within budget"),
        2,
        ENGINEERING,
        N_("Run python -m bench NAME --json bench/results/NAME.json; fix what misses."),
        N_("share of benchmark budgets met by results measured in the last 30 days"),
    ),
)


def declared_items() -> tuple[Declared, ...]:
    """Every item of the checklist: the hardening audit's, then the checklist's own."""
    audit = tuple(
        Declared(
            f"hardening.{spec.id}",
            spec.title,
            spec.weight,
            _HARDENING_OWNERS.get(spec.id, OPERATIONS),
            spec.fix,
            N_("hardening audit item, judged now"),
        )
        for spec in CHECKS
    )
    return audit + _OWN_ITEMS


@dataclass(frozen=True)
class ReadinessItem:
    """One judged item. ``evidence`` is a msgid formatted with ``params``."""

    id: str
    title: str
    weight: float
    status: ReadinessStatus
    credit: float
    evidence: str
    owner: str
    fix: str
    params: Mapping[str, object] = field(default_factory=dict)

    def evidence_text(self, gettext: Callable[[str], str] = str) -> str:
        # As the hardening audit's items: only a "note" value is itself a msgid.
        params = {k: gettext(str(v)) if k == "note" else v for k, v in self.params.items()}
        return gettext(self.evidence).format(**params)


@dataclass(frozen=True)
class Readiness:
    """The score and its items; ``blockers`` are the items short of full credit, the
    heaviest first."""

    at: datetime
    score: float
    items: tuple[ReadinessItem, ...]
    commit: str | None
    hardening_ran_at: datetime

    @property
    def blockers(self) -> tuple[ReadinessItem, ...]:
        short = [item for item in self.items if item.credit < 1]
        return tuple(sorted(short, key=lambda i: (-(i.weight * (1 - i.credit)), i.id)))

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "score": self.score,
            "commit": self.commit,
            "hardening_ran_at": self.hardening_ran_at.isoformat(timespec="seconds"),
            "items": [
                {
                    "id": i.id,
                    "title": i.title,
                    "weight": i.weight,
                    "status": i.status,
                    "credit": i.credit,
                    "evidence": i.evidence_text(),
                    "owner": i.owner,
                    "fix": i.fix,
                }
                for i in self.items
            ],
        }


def score(items: tuple[ReadinessItem, ...]) -> float:
    """sum(weight x credit) / sum(weights) x 100, one decimal (0 with no weight)."""
    weights = sum(item.weight for item in items)
    earned = sum(item.weight * item.credit for item in items)
    return round(100 * earned / weights, 1) if weights else 0.0


def hardening_score(report: HardeningReport) -> float:
    """The hardening part of the score alone, judged as :func:`readiness` judges it.

    Parameters
    ----------
    report
        A hardening audit's report.

    Returns
    -------
    float
        sum(weight x credit) / sum(weights) x 100 over the declared hardening items
        (a warning earns :data:`WARN_CREDIT`).
    """
    return score(tuple(_hardening_items(report)))


def _item(
    declared: Declared,
    status: ReadinessStatus,
    evidence_msgid: str,
    *,
    credit: float | None = None,
    **params: object,
) -> ReadinessItem:
    if credit is None:
        credit = 1.0 if status == "pass" else 0.0
    return ReadinessItem(
        declared.id,
        declared.title,
        declared.weight,
        status,
        credit,
        evidence_msgid,
        declared.owner,
        declared.fix,
        params,
    )


def _hardening_items(report: HardeningReport) -> list[ReadinessItem]:
    declared = {d.id: d for d in declared_items()}
    items = []
    for found in report.items:
        spec = declared.get(f"hardening.{found.id}")
        if spec is None:
            continue  # an item of an older stored report that is no longer declared
        status: ReadinessStatus = {"pass": "pass", "warn": "partial"}.get(found.status, "fail")  # type: ignore[assignment]
        credit = {"pass": 1.0, "warn": WARN_CREDIT}.get(found.status, 0.0)
        # The audit's own msgid and values, so the page translates the evidence.
        judged = _item(spec, status, found.evidence, credit=credit)
        items.append(replace(judged, params=dict(found.params)))
    return items


def judge_monitors(session: Session, declared: Declared, *, at: datetime) -> ReadinessItem:
    """Every monitor without a warning or critical result in the 24 h before ``at``, over
    24 h of evaluations (one grouped query)."""
    since = at - MONITORS_WINDOW
    bad = case((OpsMonitorResult.state.in_(("warning", "critical")), 1), else_=0)
    unknown = case((OpsMonitorResult.state == "unknown", 1), else_=0)
    rows = session.execute(
        select(
            OpsMonitorResult.monitor_id,
            func.count(),
            func.sum(bad),
            func.sum(unknown),
        )
        .where(OpsMonitorResult.checked_at > since, OpsMonitorResult.checked_at <= at)
        .group_by(OpsMonitorResult.monitor_id)
    ).all()
    if not rows:
        return _item(
            declared, "fail", N_("no monitor result in the last 24 h: the watchdog has not run")
        )
    first = session.scalar(select(func.min(OpsMonitorResult.checked_at)))
    not_green = sorted(str(monitor) for monitor, _, bad_count, _ in rows if bad_count)
    unknowns = sum(int(u or 0) for *_, u in rows)
    if not_green:
        return _item(
            declared,
            "fail",
            N_("{n} of {total} monitors warning or critical in 24 h: {monitors}"),
            n=len(not_green),
            total=len(rows),
            monitors=", ".join(not_green),
        )
    if first is not None and first > since + MONITORS_COVERAGE_SLACK:
        hours = (at - first).total_seconds() / 3600
        return _item(
            declared,
            "fail",
            N_("{total} monitors green, but evaluated for only {hours} h of the 24"),
            total=len(rows),
            hours=f"{hours:.1f}",
        )
    return _item(
        declared,
        "pass",
        N_("{total} monitors green for 24 h ({results} results, {unknown} unknown)"),
        total=len(rows),
        results=sum(int(count) for _, count, _, _ in rows),
        unknown=unknowns,
    )


def _judge_slo(session: Session, declared: Declared, *, at: datetime) -> ReadinessItem:
    compute = freshness_slo if declared.id == "slo_freshness" else render_slo
    slo = compute(session, window=SLO_WINDOW, at=at)
    if slo.observed == 0:
        return _item(declared, "fail", N_("nothing observed in 7 days"))
    params = {
        "measured": f"{100 * (slo.measured or 0):.2f}",
        "target": f"{100 * slo.target:g}",
        "observed": f"{slo.observed:,}",
        "used": f"{slo.budget_used:,}",
        "budget": f"{slo.budget_total:,.1f}",
        "indicator": "-" if slo.indicator is None else f"{slo.indicator:,.0f}",
    }
    msgid = (
        N_(
            "{measured} % good of {observed} minutes (target {target} %), {used} bad of a "
            "budget of {budget}; worst age {indicator} s"
        )
        if declared.id == "slo_freshness"
        else N_(
            "{measured} % of {observed} renders at most 500 ms (target {target} %), "
            "{used} slow of a budget of {budget}; p95 {indicator} ms"
        )
    )
    return replace(_item(declared, "pass" if slo.met else "fail", msgid), params=params)


def judge_monitor_states(
    session: Session, declared: Declared, monitor_ids: tuple[str, ...]
) -> ReadinessItem:
    """Pass when every one of ``monitor_ids`` has a current state and it is ``ok``."""
    states = {
        row.monitor_id: row
        for row in session.scalars(
            select(OpsMonitorState).where(OpsMonitorState.monitor_id.in_(monitor_ids))
        )
    }
    missing = [m for m in monitor_ids if m not in states]
    if missing:
        return _item(
            declared,
            "fail",
            N_("no state for {monitors}: the watchdog has not evaluated them"),
            monitors=", ".join(missing),
        )
    # The latest evaluation counts too: a coverage that just fell to 0 % is not "ready"
    # because the flapping guard has not confirmed it yet (unknown: the check failed).
    judged = {m: worst([states[m].state, states[m].observed]) for m in monitor_ids}
    shown = "; ".join(
        f"{m} {judged[m]} ({evidence_text(states[m].evidence, 'en')})" for m in monitor_ids
    )
    green = all(judged[m] == "ok" for m in monitor_ids)
    return _item(declared, "pass" if green else "fail", "{states}", states=shown)


def judge_tests(declared: Declared, directory: Path, commit: str | None) -> ReadinessItem:
    """Both runs of ``make test`` recorded for ``commit`` and passed."""
    if commit is None:
        return _item(
            declared, "fail", N_("the running commit is unknown (no git, no BARBERPRO_COMMIT)")
        )
    runs = evidence.recorded_test_runs(directory, commit)
    parts = []
    for name, run in runs.items():
        if isinstance(run, str):
            parts.append(f"{name}: {run}")
        else:
            parts.append(
                f"{name}: {run.tests} tests, {run.failures} failures, {run.errors} errors, "
                f"{run.skipped} skipped ({run.timestamp or '?'})"
            )
    passed = all(not isinstance(r, str) and r.passed for r in runs.values())
    return _item(
        declared,
        "pass" if passed else "fail",
        N_("commit {commit}: {runs}"),
        commit=commit[:12],
        runs="; ".join(parts),
    )


def judge_benchmarks(
    declared: Declared, directory: Path, *, at: datetime, commit: str | None
) -> ReadinessItem:
    """The share of :data:`core.ops.evidence.BENCH_BUDGETS` met by recent results."""
    verdicts = evidence.judge_benchmarks(
        directory, at=at, max_age_days=BENCH_MAX_AGE_DAYS, commit=commit
    )
    met = sum(v.problem is None for v in verdicts)
    missed = "; ".join(
        f"{v.budget.benchmark}.{v.budget.figure} {v.problem}" for v in verdicts if v.problem
    )
    credit = met / len(verdicts) if verdicts else 0.0
    status: ReadinessStatus = "pass" if credit == 1 else "partial" if credit > 0 else "fail"
    return _item(
        declared,
        status,
        N_("{met} of {total} budgets met; missed: {missed}")
        if missed
        else N_("{met} of {total} budgets met"),
        credit=credit,
        met=met,
        total=len(verdicts),
        missed=missed,
    )


def readiness(
    session: Session,
    *,
    settings: Settings,
    at: datetime,
    hardening: HardeningReport,
    commit: str | None,
    bench_dir: Path = evidence.BENCH_RESULTS_DIR,
) -> Readiness:
    """Judge every item of the checklist and compute the score.

    Parameters
    ----------
    session
        A session on the console database (read only).
    settings
        The console's settings (where test results are recorded).
    at
        The moment judged (now, or the watchdog's newest evaluation).
    hardening
        The hardening audit's verdict to use: :func:`audit_now` runs it on this machine
        as it is now (the CLI does); a page may pass the latest stored report, whose
        ``ran_at`` is then shown as ``hardening_ran_at``.
    commit
        The running commit (``core.ops.evidence.running_commit()``).
    bench_dir
        Where the benchmark results are.

    Returns
    -------
    Readiness
        The score, each item with its evidence, owner and fix.
    """
    own = {d.id: d for d in _OWN_ITEMS}
    items = _hardening_items(hardening)
    items.append(judge_monitors(session, own["monitors_green"], at=at))
    items.append(_judge_slo(session, own["slo_freshness"], at=at))
    items.append(_judge_slo(session, own["slo_render"], at=at))
    items.append(judge_monitor_states(session, own["churn_promoted"], CHURN_PROMOTED))
    items.append(judge_monitor_states(session, own["churn_not_drifting"], CHURN_DRIFT))
    items.append(judge_tests(own["test_suite"], evidence.test_results_dir(settings), commit))
    items.append(judge_benchmarks(own["benchmarks"], bench_dir, at=at, commit=commit))
    judged = tuple(items)
    return Readiness(at, score(judged), judged, commit, hardening.ran_at)


def audit_now(settings: Settings, session: Session) -> HardeningReport:
    """The hardening audit of this machine as it is now, without pip-audit (slow, and
    needs the network: ``dependency_pins`` then earns half, as the audit warns)."""
    from core.ops.hardening import evaluate
    from core.ops.snapshot import collect_environment

    engine = session.get_bind()
    return evaluate(collect_environment(settings, engine=engine, scan=False))  # type: ignore[arg-type]


def checklist_markdown() -> str:
    """The checklist as a Markdown table (README "Launch readiness" is generated from it:
    tests/core/ops/test_readiness_readme.py keeps the two equal)."""
    rows = [
        "| Item | Weight | Counts | Fixed by |",
        "|---|---:|---|---|",
    ]
    for item in declared_items():
        rows.append(
            f"| `{item.id}` {item.title} | {item.weight:g} | {item.counts} | {item.owner} |"
        )
    total = sum(item.weight for item in declared_items())
    rows.append(f"| **Total** | **{total:g}** | | |")
    return "\n".join(rows)
