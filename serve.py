"""The console's server: the Streamlit app (app.py) plus the sign-in routes and gate.

`make run` starts it with ``streamlit run serve.py``: Streamlit finds the ``st.App``
below and serves app.py through it, with ``web.auth_routes`` in front (README "Signing
in" says why sign-in needs its own HTTP routes). In production it first refuses to start
without working sign-in, a real cookie secret and hidden error details.
"""

import sys

import streamlit as st
from starlette.middleware import Middleware

from core.auth.production import production_problems
from core.config import get_settings
from core.db import get_engine
from core.security.uploads import upload_limit_problem
from ui.incidents import on_script_error
from ui.render_timing import start_flusher
from web.auth_routes import ROUTES, SignInGate

settings = get_settings()
if settings.is_production:
    problems = production_problems(
        get_engine(settings.database_url),
        show_error_details=st.get_option("client.showErrorDetails"),
        sso_configured="auth" in st.secrets if st.secrets.load_if_toml_exists() else False,
    )
    upload_limit = upload_limit_problem(st.get_option("server.maxUploadSize"))
    if upload_limit:
        problems.append(upload_limit)
    if problems:
        for problem in problems:
            print(f"serve: refusing to start in production: {problem}", file=sys.stderr)
        sys.exit(2)

# An exception no page caught becomes an incident: its id on screen, the traceback in the log.
# The console's uptime probe and page timings start with the server, not with the first
# page someone opens: a console nobody looks at is still up (core.ops.timings).
start_flusher()

app = st.App(
    "app.py",
    routes=ROUTES,
    middleware=[Middleware(SignInGate)],
    on_script_error=on_script_error,
)
