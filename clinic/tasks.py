"""Sending tasks so that they run in the right clinic, after the commit."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction


def send_after_commit(task, *args, **kwargs) -> None:
    """Send ``task`` once the current transaction commits, for the current clinic.

    The schema is read now, not when the commit hook runs: by then the caller
    may have left its ``schema_context`` and the task would go to the wrong clinic.
    """
    schema = connection.schema_name
    transaction.on_commit(lambda: send_now(task, schema, *args, **kwargs))


def send_now(task, schema: str, *args, **kwargs):
    tenant = getattr(connection, "tenant", None)
    result = task.apply_async(args=args, kwargs=kwargs, headers={"_schema_name": schema})
    if settings.CELERY_TASK_ALWAYS_EAGER and tenant is not None:
        # An in-process task switches the connection to the task's schema and
        # back to public when done; give the caller its own schema back.
        connection.set_tenant(tenant)
    return result


@shared_task(name="clinic.send_email")
def send_email(subject: str, body: str, recipients: list[str]) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def send_email_after_commit(subject: str, body: str, recipients: list[str]) -> None:
    send_after_commit(send_email, str(subject), body, list(recipients))
