"""The appointment state machine: the one place that says which change is allowed."""

from django.utils.translation import gettext_lazy as _

from .models import Status

# action -> (statuses it may start from, status it leads to, label)
TRANSITIONS = {
    "confirm": ({Status.BOOKED}, Status.CONFIRMED, _("Confirm")),
    "arrive": ({Status.BOOKED, Status.CONFIRMED}, Status.ARRIVED, _("Arrived")),
    # Seed 000: a registered patient who cannot be treated is un-registered first.
    "revert_arrival": ({Status.ARRIVED}, Status.CONFIRMED, _("Revert arrival")),
    "start": ({Status.ARRIVED}, Status.IN_TREATMENT, _("Start treatment")),
    "complete": ({Status.IN_TREATMENT}, Status.COMPLETED, _("Complete")),
    "no_show": ({Status.BOOKED, Status.CONFIRMED}, Status.NO_SHOW, _("No-show")),
    "cancel": ({Status.BOOKED, Status.CONFIRMED, Status.NO_SHOW}, Status.CANCELLED, _("Cancel")),
    "reschedule": ({Status.BOOKED, Status.CONFIRMED, Status.NO_SHOW}, Status.BOOKED, _("Reschedule")),
}

# The patient came: a visit (billing) can be opened from an appointment in one of these.
ATTENDED = frozenset({Status.ARRIVED, Status.IN_TREATMENT, Status.COMPLETED})


# What the person is told once the change is made.
DONE = {
    "confirm": _("The appointment was confirmed."),
    "arrive": _("The patient's arrival was registered."),
    "revert_arrival": _("The arrival was reverted."),
    "start": _("The treatment has started."),
    "complete": _("The treatment was completed."),
    "no_show": _("The patient was marked as not having come."),
    "cancel": _("The appointment was cancelled."),
    "reschedule": _("The appointment was moved."),
}


def allowed_actions(status: str) -> list[str]:
    return [action for action, (sources, _target, _label) in TRANSITIONS.items() if status in sources]

