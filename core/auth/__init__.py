"""Identity: console accounts, passwords, sign-in sessions, throttling and roles.

Nothing here imports Streamlit: the console's pages, the HTTP sign-in routes, the API and
the command line all sign people in, and check what they may do, through these modules.
"""
