"""The JSON API (issue 17): FastAPI routes over core's read seam and commands.

``api.app:create_app`` builds the application (``make api`` serves it with uvicorn).
Nothing here holds a rule of the domain: routes authenticate the bearer token, check the
role, call ``core.queries``/``core.ops`` or ``core.commands.execute``, and serialise.
"""
