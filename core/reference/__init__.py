"""Static reference data the console's domain code needs (no I/O).

``core/`` must not import ``data/`` (the demo generator), so the pieces of reference data
that validation and the onboarding wizard use live here: provinces, cities and area codes
(``geography``), per-vertical service templates (``services``) and BarberPro's own plan
price list (``plans``). ``geography`` and ``services`` are also the demo generator's
tables: ``data/reference/`` re-exports them from here, with the approximate CPI series of
``core.inflation.reference``.
"""
