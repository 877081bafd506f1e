"""Streamlit-side helpers shared by the pages (the only UI package besides pages/)."""
