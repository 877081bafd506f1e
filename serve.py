"""The console's server: the Streamlit app (app.py) plus the sign-in routes and gate.

`make run` starts it with ``streamlit run serve.py``: Streamlit finds the ``st.App``
below and serves app.py through it, with ``web.auth_routes`` in front (README "Signing
in" says why sign-in needs its own HTTP routes).
"""

import streamlit as st
from starlette.middleware import Middleware

from web.auth_routes import ROUTES, SignInGate

app = st.App("app.py", routes=ROUTES, middleware=[Middleware(SignInGate)])
