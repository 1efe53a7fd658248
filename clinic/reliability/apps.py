from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReliabilityConfig(AppConfig):
    """The public schema's delivery records: the task outbox, worker heartbeats, idempotency keys."""

    name = "clinic.reliability"
    label = "reliability"
    verbose_name = _("Reliability")

    def ready(self):
        from . import heartbeat  # noqa: F401  (connects the worker's signals)
