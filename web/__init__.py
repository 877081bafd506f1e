"""The console's own HTTP routes beside the Streamlit app (served through ``st.App`` in
``serve.py``): sign-in and sign-out, which set and clear the HttpOnly session cookie
that a Streamlit page cannot set, and the gate that sends anonymous page loads to the
sign-in form. No Streamlit page code here; identity itself lives in ``core.auth``.
"""
