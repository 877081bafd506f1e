"""Bounds on the generator's size arguments (kept import-free so the CLI starts fast)."""

MAX_TENANTS = 5000
MAX_MONTHS = 120
