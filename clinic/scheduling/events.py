"""The one event every appointment change publishes.

Scheduling does not know who listens: billing, partners (and next platform orders) subscribe in
their ``AppConfig.ready()``. Subscribers run inside the change's transaction, after the change is
saved: one that raises undoes the change (as a refused change is refused whole).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from clinic.registry import Registry

from .models import Appointment


class Change(StrEnum):
    """What happened; the values of the transitions are the state machine's actions (``states.py``)."""

    BOOKED = "book"
    MOVED = "reschedule"
    CONFIRMED = "confirm"
    ARRIVED = "arrive"
    ARRIVAL_REVERTED = "revert_arrival"
    STARTED = "start"
    COMPLETED = "complete"
    NO_SHOW = "no_show"
    CANCELLED = "cancel"


@dataclass(frozen=True)
class AppointmentChanged:
    """``before`` is a copy of the appointment as it was (None when it was just booked);
    ``after`` is the saved appointment; ``actor`` is the staff user, or None (a partner's portal
    user, who is no user of the clinic)."""

    before: Appointment | None
    after: Appointment
    actor: Any
    kind: Change


subscribers: Registry[Callable[[AppointmentChanged], None]] = Registry("appointment changes")


def subscribe(handler: Callable[[AppointmentChanged], None]) -> Callable[[AppointmentChanged], None]:
    return subscribers.register(handler)


def publish(event: AppointmentChanged) -> None:
    for handler in subscribers:
        handler(event)
