"""Argentine inflation, in one place.

- ``reference``: the bundled approximate monthly CPI series (% per month) and its index.
- ``table``: the CPI table (``console_cpi_monthly``): seeding, reads, admin edits, uploads.
- ``deflate``: constant-peso arithmetic (restate ARS amounts in pesos of a base month),
  with months past the table projected and marked (``cpi_projection``).
"""
