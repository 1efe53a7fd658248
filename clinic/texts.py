"""What the system writes (not a person) kept as data and written out when read, in the reader's
language: a line voided because it moved to another payer, a limit raised because a treatment plan
was approved. A person's own words stay as typed; the system's would otherwise be stored in the
language of whoever happened to cause them (a Romanian receptionist's move reads "Mutat la …" on
her Russian colleague's page).

A text is its English source, marked with ``gettext_noop`` where it is written so that
makemessages finds it, and its values::

    line.void_details = system_text(gettext_noop("Moved to %(payer)s"), payer=payer.name)
    read_text(line.void_details)  # "Перенесено на …" on a Russian page

A value may itself be such a text (translated in turn); anything else is shown as given.
"""

from __future__ import annotations

from django.utils.translation import gettext


def system_text(source: str, **values) -> dict:
    """``source`` (an English text, ``gettext_noop``-marked) and its ``%(name)s`` values, as stored."""
    return {"text": source, "values": values} if values else {"text": source}


def read_text(details: dict | None) -> str:
    """A stored system text in the current language; "" when there is none."""
    if not details or "text" not in details:
        return ""
    values = {name: read_text(value) if isinstance(value, dict) else value
              for name, value in (details.get("values") or {}).items()}
    translated = gettext(details["text"])
    return translated % values if values else translated
