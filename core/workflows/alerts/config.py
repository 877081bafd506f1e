"""The alert programme as configured: stored rules, playbooks and settings over the defaults.

Rules, playbooks and the programme settings live in the database (``cs_alert_rules``,
``cs_playbooks``, ``cs_alert_settings``) once someone edits them in the app; until then
the defaults of ``core.workflows.alerts.definitions`` apply. :func:`load_config` merges
the two, so a fresh database works without seeding.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.schema import CsAlertRule, CsAlertSettings, CsPlaybook
from core.workflows.alerts.definitions import (
    DEFAULT_PLAYBOOKS,
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
