"""An order's history as people read it: an event keeps what it was about as data (its
``details``) and is written out when read, in the reader's language and the clinic's calendar and
time zone — never in the language of whoever made the change. No model here: the models' event
reads its text from this module."""

from __future__ import annotations

from django.utils.translation import gettext as _


def appointment_details(appointment) -> dict:
    """An appointment as an event's details keep it: its time and practitioner."""
    return {"starts_at": appointment.starts_at.isoformat(), "practitioner": appointment.practitioner.full_name}


def _appointment_text(details: dict) -> str:
    from datetime import datetime

    from clinic.calendars import format_date
    from clinic.periods import clinic_zone

    local = datetime.fromisoformat(details["starts_at"]).astimezone(clinic_zone())
    return f"{format_date(local, 'SHORT_DATETIME_FORMAT')} · {details['practitioner']}"


def event_text(details: dict, note: str = "") -> str:
    """An order event's details written out in the current language (dates in the clinic's
    calendar and time zone), then its note: ``patient`` (name, number), ``was`` and
    ``appointment`` (an appointment moved from one to the other, or booked), ``line`` and
    ``file`` (imported), ``xray`` (uploaded), ``visit`` (redeemed at)."""
    parts = []
    if "patient" in details:
        parts.append(f"{details['patient']['name']} (№ {details['patient']['number']})")
    if "appointment" in details:
        booked = _appointment_text(details["appointment"])
        parts.append(f"{_appointment_text(details['was'])} → {booked}" if "was" in details else booked)
    if "line" in details:
        parts.append(_("Line %(line)s of %(file)s") % {"line": details["line"], "file": details["file"]})
    if details.get("xray"):
        parts.append(_("Panoramic X-ray uploaded"))
    if "visit" in details:
        parts.append(_("Visit %(number)s") % {"number": f"#{details['visit']}"})
    if note:
        parts.append(note)
    return " · ".join(parts)
