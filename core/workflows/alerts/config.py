"""The alert programme as configured: stored rules, playbooks and settings over the defaults.

Rules, playbooks and the programme settings live in the database (``cs_alert_rules``,
``cs_playbooks``, ``cs_alert_settings``) once someone edits them in the app; until then
the defaults of ``core.workflows.alerts.definitions`` apply. :func:`load_config` merges
the two, so a fresh database works without seeding.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.i18n import N_
from core.schema import CsAlertRule, CsAlertSettings, CsPlaybook
from core.workflows.alerts.definitions import (
    DEFAULT_PLAYBOOKS,
    MAX_HOLDOUT_SHARE,
    MAX_NOTIFY_MIN_PRIORITY,
    MAX_REOPEN_COOLDOWN_DAYS,
    REASONS,
    AlertConfig,
    ProgrammeSettings,
    RuleConfig,
    default_rule,
)

# ------------------------------------------------------------------------ errors


class AlertError(DomainError):
    """Bad input for an alert command: one sentence, in the user's language on demand.

    ``str(error)`` is the English text; :meth:`text` renders it in ``locale``.
    """

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__("alert_rejected", msgid, params)


def _number(value: object) -> float:
    """``value`` as a finite float, else NaN (booleans and text are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    number = float(value)
    return number if math.isfinite(number) else math.nan


def check_settings(
    holdout_share: object, notify_min_priority: object, reopen_cooldown_days: object
) -> None:
    """Refuse programme settings outside their plausible bounds, whatever their type.

    Raises
    ------
    AlertError
        For the first setting out of bounds (NaN, infinity and text included).
    """
    share = _number(holdout_share)
    if not 0 <= share <= MAX_HOLDOUT_SHARE:  # NaN fails every comparison
        raise AlertError(
            N_("The holdout share must be between 0% and {high}%."),
            high=int(MAX_HOLDOUT_SHARE * 100),
        )
    if not 0 <= _number(notify_min_priority) <= MAX_NOTIFY_MIN_PRIORITY:
        raise AlertError(
            N_("The notification priority must be between 0 and {high} ARS."),
            high=int(MAX_NOTIFY_MIN_PRIORITY),
        )
    days = _number(reopen_cooldown_days)
    if not (0 <= days <= MAX_REOPEN_COOLDOWN_DAYS and days.is_integer()):
        raise AlertError(
            N_("The reopen cooldown must be a whole number of days between 0 and {high}."),
            high=MAX_REOPEN_COOLDOWN_DAYS,
        )


# ------------------------------------------------------------------------ stored


def load_config(*, session: Session) -> AlertConfig:
    """Stored rules, playbooks and settings, with code defaults where nothing is stored."""
    rules = {reason: default_rule(reason) for reason in REASONS}
    for row in session.scalars(select(CsAlertRule)):
        if row.rule in rules:
            rules[row.rule] = RuleConfig(row.rule, row.enabled, row.threshold, row.days)
    playbooks = dict(DEFAULT_PLAYBOOKS)
    for pb in session.scalars(select(CsPlaybook)):
        if pb.reason in playbooks:
            playbooks[pb.reason] = replace(
                playbooks[pb.reason], title=pb.title, steps=tuple(pb.steps)
            )
    stored = session.get(CsAlertSettings, 1)
    settings = (
        ProgrammeSettings(
            stored.holdout_share, stored.notify_min_priority, stored.reopen_cooldown_days
        )
        if stored
        else ProgrammeSettings()
    )
    return AlertConfig(rules, playbooks, settings)
