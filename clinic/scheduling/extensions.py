"""What other apps show on scheduling's screens, without scheduling knowing them.

- **Annotations**: an app registers ``annotator(appointment_ids) -> {appointment_id: Annotation}``
  (one query for all the appointments shown, whatever their number). The day calendar, the
  reception list and the appointment panel show each annotation's badge, its reference (after
  the source) and who booked (instead of the clinic's user). Partners: "Paid at partner", the
  partner booking's reference, the partner's user.
- **Panel fragments**: templates an app adds to the appointment panel, rendered with the panel's
  context (``appointment``, ``user``, ``perms``): ``panel_top`` under the heading (barter: the
  patient's policies and their figures), ``panel_details`` rows of its details list (partners: the
  partner booking).
- **Patient fragments**: templates shown with a patient picked in the booking dialog (barter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from clinic.registry import Registry


@dataclass(frozen=True)
class Annotation:
    badge: str = ""  # a short badge by the patient's name and the status
    reference: str = ""  # shown after the source, e.g. "P-000123"
    booked_by: str = ""  # who booked, when it was not a user of the clinic


annotators: Registry[Callable[[list[int]], dict[int, Annotation]]] = Registry("appointment annotations")
panel_top: Registry[str] = Registry("appointment panel, under the heading")
panel_details: Registry[str] = Registry("appointment panel, details")
patient_fragments: Registry[str] = Registry("booking dialog, the picked patient")

NONE = Annotation()


def annotate(appointment_ids: Iterable[int]) -> dict[int, Annotation]:
    """Every registered app's annotations of these appointments (the first app's, where two annotate one)."""
    ids = list(appointment_ids)
    found: dict[int, Annotation] = {}
    if not ids:
        return found
    for annotator in annotators:
        for pk, annotation in annotator(ids).items():
            found.setdefault(pk, annotation)
    return found


def annotate_objects(appointments) -> list:
    """Set ``annotation`` on each appointment (models or ``Booked`` rows); the list."""
    appointments = list(appointments)
    found = annotate(a.pk for a in appointments)
    for appointment in appointments:
        appointment.annotation = found.get(appointment.pk, NONE)
    return appointments
