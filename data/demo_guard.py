"""What keeps the demo tools (generator, simulator) away from real data.

Two gates: production mode refuses them outright, and outside production they only
write into a database the generator itself filled, recognised by the audit event it
records (``demo_data.generate``). ``--allow-non-demo`` is the explicit way past the second.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.clock import now
from core.config import ground_truth_path_for
from core.schema import AuditEvent

DEMO_ACTION = "demo_data.generate"
ALLOW_FLAG = "--allow-non-demo"


class DemoToolRefusedError(RuntimeError):
    """A demo tool must not run here; the message says why in one line."""


def refuse_in_production(tool: str) -> None:
    """Raise DemoToolRefusedError when BARBERPRO_ENV=production, before anything is touched."""
    # Read directly rather than through Settings: in production this must be the one
    # message a deployer sees, whatever else is wrong with the other settings.
    if os.environ.get("BARBERPRO_ENV", "").strip() == "production":
        raise DemoToolRefusedError(
            f"{tool} writes fake demo data and is disabled when BARBERPRO_ENV=production; "
            "run it with BARBERPRO_ENV=development against a demo database"
        )


def record_demo_marker(session: Session, detail: dict[str, Any]) -> None:
    """Record, in the audit log, that the demo generator wrote this database's data."""
    session.add(
        AuditEvent(
            occurred_at=now(),
            actor_id=None,
            action=DEMO_ACTION,
            entity="database",
            entity_id="demo",
            after=detail,
            comment="Platform data written by python -m data.generate (fake demo data)",
        )
    )


def is_demo_database(engine: Engine) -> bool:
    """Whether the generator wrote this database's data.

    Databases generated before the marker existed are recognised by the ground-truth file
    the generator has always written beside them.
    """
    try:
        if "console_audit_log" in inspect(engine).get_table_names():
            with Session(engine) as session:
                marker = session.scalar(
                    select(AuditEvent.id).where(AuditEvent.action == DEMO_ACTION).limit(1)
                )
            if marker is not None:
                return True
    except SQLAlchemyError:
        return False
    url = engine.url.render_as_string(hide_password=False)
    return Path(ground_truth_path_for(url)).exists()


def refuse_non_demo(engine: Engine, *, doing: str) -> None:
    """Raise DemoToolRefusedError unless ``engine``'s database holds generated demo data."""
    if not is_demo_database(engine):
        raise DemoToolRefusedError(
            f"this database holds data the demo generator did not write, and {doing}; "
            f"pass {ALLOW_FLAG} if that is really what you want"
        )
