"""What hostile input must not do: the pure checks every entry point shares.

- ``parse_id``: every id in a URL (ASCII digits only, bounded length);
- ``csv_safe``: spreadsheet cells that would run as formulas (OWASP);
- ``markdown_safe``: tenant-written text never becomes markdown, links or images;

``core.security.webhooks.validate_webhook_url`` (outbound webhooks go to allowlisted
public hosts only) and ``core.security.uploads`` (bounded files) read the settings, so
they are imported from their modules: the dashboards use this package and must stay
free of the database layer that the settings bring.
"""

from core.security.ids import parse_id
from core.security.text import csv_safe, markdown_safe

__all__ = ["csv_safe", "markdown_safe", "parse_id"]
