"""Rows in the public schema that make background work and repeated requests safe.

They live in the public schema (a shared app) so one relay serves every clinic,
yet a clinic's request writes them in its own transaction: django-tenants'
search path is ``<clinic>, public``.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A task an action promised, written in the action's transaction and relayed to Celery."""

    schema_name = models.CharField(max_length=63)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created = models.DateTimeField(default=timezone.now)
    # The relay claims a row by moving this forward (a lease, then the back-off after a failure).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set by tasks that must not repeat their effect (a mail): a second delivery sees it and stops.
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        default_permissions = ()
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(sent_at__isnull=True), name="outbox_unsent"),
        ]

    def __str__(self):
        return f"{self.task_name}@{self.schema_name} #{self.pk}"


class Heartbeat(models.Model):
    """When a worker (or beat) last said it is alive; /healthz reads it."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class IdempotentRequest(models.Model):
    """One accepted submission of a form that takes money or books.

    The key is issued with the form; the unique constraint lets only one request
    with it through. The response it got is kept and given to any repetition.
    """

    key = models.UUIDField()
    # Where the key was used (clinic schema, user, path): a key never answers another form.
    scope = models.CharField(max_length=300)
    created = models.DateTimeField(default=timezone.now)
    # Null while the first request is still being answered.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content = models.BinaryField(blank=True, default=b"")
    headers = models.JSONField(default=dict, blank=True)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["key"], name="idempotent_request_key_unique")]

    def __str__(self):
        return f"{self.key} ({self.scope})"
