"""The demo's clock: its seeds run the real services as if it were an earlier moment, so every
row they write — postings included, which the ledger never lets anyone rewrite — carries the day
it happened. Demo data only; tests freeze time with time-machine."""

from __future__ import annotations

from datetime import datetime
from unittest import mock


def demo_time(moment: datetime):
    """A context in which ``django.utils.timezone.now()`` is ``moment``."""
    return mock.patch("django.utils.timezone.now", return_value=moment)
