"""Every page run timed in one place: the navigation wrapper app.py calls.

The page's script runs inside :func:`run_timed`; its server-side time goes to the
process's in-memory aggregator (``core.ops.timings.record_render``), written once a
minute by the flusher this module starts once per process. A run that raised still
counts (as failed) and the exception goes on to ``st.App``'s incident handler; a run cut
short by ``st.rerun()`` is not a render (the rerun is timed instead); ``st.stop()`` is a
page finishing early, timed as a render.
"""

from __future__ import annotations

import logging
import time

from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from core.db import get_engine
from core.ops.timings import ensure_flusher, record_render

log = logging.getLogger(__name__)


def page_key(page: StreamlitPage) -> str:
    """The page's url path (``executive-overview``), also for the default page, whose
    public path is empty."""
    return page.url_path or getattr(page, "_url_path", "") or "home"


def start_flusher() -> None:
    """Start the timing flusher for the configured database, once per process."""
    try:
        ensure_flusher(get_engine())
    except Exception:  # timings are an observer: the page must render regardless
        log.exception("page timing flusher did not start")


def run_timed(page: StreamlitPage) -> None:
    """``page.run()``, timed and recorded under :func:`page_key`."""
    started = time.monotonic()
    try:
        page.run()
    except RerunException:
        raise  # abandoned: the rerun is the render that counts
    except StopException:
        _record(page, started, failed=False)  # finished early, on purpose
        raise
    except BaseException:
        _record(page, started, failed=True)
        raise
    _record(page, started, failed=False)


def _record(page: StreamlitPage, started: float, *, failed: bool) -> None:
    record_render(page_key(page), (time.monotonic() - started) * 1000, failed=failed)
