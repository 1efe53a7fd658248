"""Sending tasks so that they run in the right clinic, after the commit, and are never lost.

Every task an action causes goes through the transactional outbox
(``clinic.reliability.outbox``): written in the action's transaction with the
clinic's schema, handed to the broker after the commit and retried by the relay
until the broker takes it.
"""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from clinic.reliability.outbox import send_after_commit

__all__ = ["send_after_commit", "send_email", "send_email_after_commit"]


# A mail server that refuses now is tried again, with growing pauses, a bounded number of times.
@shared_task(name="clinic.send_email", bind=True, acks_late=True, ignore_result=True,
          autoretry_for=(OSError, smtplib.SMTPException), retry_backoff=30, retry_backoff_max=1800, max_retries=8)
def send_email(self, subject: str, body: str, recipients: list[str], outbox_id: int | None = None) -> None:
    """Send a mail once: a second delivery of the same outbox row sends nothing."""
    from clinic.reliability.models import OutboxMessage

    if outbox_id is None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        return
    with transaction.atomic():
        # The row's lock makes a second delivery wait for the first and then see it done.
        message = OutboxMessage.objects.select_for_update().filter(pk=outbox_id).first()
        if message is not None and message.done_at is not None:
            return
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        if message is not None:
            message.done_at = timezone.now()
            message.save(update_fields=["done_at"])


send_email.takes_outbox_id = True


def send_email_after_commit(subject: str, body: str, recipients: list[str]) -> None:
    send_after_commit(send_email, str(subject), body, list(recipients))
