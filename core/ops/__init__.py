"""Production operations: the hardening audit (``core.ops.hardening``) and its CLI
(``python -m core.ops harden``). Backups live in ``core.backup``."""
