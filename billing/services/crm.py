"""CRM tasks: calls, reminders, follow-ups."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import DomainError

from ..models import (
    Activity,
)

# --- CRM -------------------------------------------------------------------------------------


def add_activity(*, patient, kind: str, subject: str, due_date: date, assignee, actor) -> Activity:
    if kind not in Activity.Kind.values:
        raise DomainError(_("Choose a kind from the list."), field="kind")
    subject = (subject or "").strip()
    if not subject:
        raise DomainError(_("Say what is to be done."), field="subject")
    if due_date is None:
        raise DomainError(_("Enter the due date."), field="due_date")
    if assignee is None or not assignee.is_active:
        raise DomainError(_("Choose an active staff member."), field="assignee")
    return Activity.objects.create(patient=patient, kind=kind, subject=subject[:200], due_date=due_date,
                                   assignee=assignee, created_by=actor)


def finish_activity(activity: Activity, *, outcome: str, actor, cancelled: bool = False) -> Activity:
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if activity.status != Activity.Status.OPEN:
            raise DomainError(_("This task is already finished."))
        outcome = (outcome or "").strip()
        if not outcome:
            raise DomainError(_("Write the outcome."), field="outcome")
        activity.status = Activity.Status.CANCELLED if cancelled else Activity.Status.DONE
        activity.outcome = outcome
        activity.done_at = timezone.now()
        activity.save(update_fields=["status", "outcome", "done_at"])
        return activity
