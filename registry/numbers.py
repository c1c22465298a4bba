"""Numbers as people write them, shared by every domain that shows or publishes a decimal."""

from __future__ import annotations

from decimal import Decimal


def plain(value: Decimal) -> str:
    """A decimal as people write it: 40, 2.5 (never 4E+1 or 40.0)."""
    return format(value.normalize(), "f")
