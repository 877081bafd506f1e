"""The sentence a page shows about the job that computes its data (failed, retrying, first run).

Pure: a ``JobState`` (``core.queries.job_state``) and the time in, a notice out. The
error's own text never reaches the page; its kind does ("the database was busy").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core import formatting as fmt
from core.i18n import N_, translator
from core.jobs.failures import FAILURE_TEXTS, KIND_OTHER, JobState

# What each job does, as the subject of the notice's sentence.
JOB_SUBJECTS = {
    "health_scores": N_("The health score calculation"),
    "churn_score": N_("The churn scoring"),
    "churn_retrain": N_("The churn model training"),
    "metrics_refresh": N_("The metrics refresh"),
    "dashboard_frames": N_("The detail tables update"),
    "alert_rules": N_("The alert rules run"),
}
ANY_JOB = N_("The background job")
# A retry this late has not started: the scheduler is probably not running.
RETRY_LATE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class JobNotice:
    """One sentence; ``level`` is "warning" (a failure) or "info" (work in progress)."""

    level: str
    text: str


def clock_time(moment: datetime, locale: str) -> str:
    """``10:42``: the hour and minute, as people say when something happens again."""
    return fmt.format_time(moment, locale=locale)[:5]


def job_notice(state: JobState, *, at: datetime, locale: str) -> JobNotice | None:
    """What to tell the reader of a page fed by ``state``'s job, or None when all is well.

    Parameters
    ----------
    state
        The job's newest runs.
    at
        Now (the console's clock).
    locale
        The reader's language.
    """
    _ = translator(locale)
    subject = _(JOB_SUBJECTS.get(state.job_id, ANY_JOB))
    if state.failed and state.last_finished_at is not None:
        reason = _(FAILURE_TEXTS.get(state.failure or KIND_OTHER, FAILURE_TEXTS[KIND_OTHER]))
        failed_at = clock_time(state.last_finished_at, locale)
        if state.running_since is not None:
            text = _("{subject} failed at {time} ({reason}); it is being retried now.")
        elif state.retry_at is None:
            text = _("{subject} failed at {time} ({reason}); it is retried at its next run.")
        elif at > state.retry_at + RETRY_LATE_AFTER:
            text = _(
                "{subject} failed at {time} ({reason}); the retry planned for {retry} has "
                "not started: is the scheduler running?"
            )
        else:
            text = _("{subject} failed at {time} ({reason}); it is retried at {retry}.")
        retry = "" if state.retry_at is None else clock_time(state.retry_at, locale)
        return JobNotice(
            "warning", text.format(subject=subject, time=failed_at, reason=reason, retry=retry)
        )
    if state.running_since is not None and not state.ever_succeeded:
        return JobNotice(
            "info",
            _(
                "{subject} is running for the first time (since {time}); this page fills "
                "in by itself when it ends."
            ).format(subject=subject, time=clock_time(state.running_since, locale)),
        )
    return None
