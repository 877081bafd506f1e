"""Streamlit-side helpers shared by the page files in app_pages/."""
