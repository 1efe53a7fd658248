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

import json

from django.db import models
from django.utils.translation import gettext


def system_text(source: str, **values) -> dict:
    """``source`` (an English text, ``gettext_noop``-marked) and its ``%(name)s`` values, as stored."""
    return {"text": source, "values": values} if values else {"text": source}


def words_or_text(reason: str | dict | None) -> tuple[str, dict]:
    """A reason given as a person's words (a string) or as the system's (a ``system_text``): the
    words and the text, one of them empty."""
    return ("", reason) if isinstance(reason, dict) else (reason or "", {})


def _written(details: dict | None, translate) -> str:
    if not details or "text" not in details:
        return ""
    values = {name: _written(value, translate) if isinstance(value, dict) else value
              for name, value in (details.get("values") or {}).items()}
    text = translate(details["text"])
    return text % values if values else text


def source_text(details: dict | None) -> str:
    """A stored system text as written in the code (English), for a record that keeps plain text —
    a ledger leg's note, which can never be changed later."""
    return _written(details, str)


def read_text(details: dict | None) -> str:
    """A stored system text in the current language; "" when there is none."""
    return _written(details, gettext)


def read_texts(value) -> str:
    """A stored system text, or a list of them, in the current language ("" for none)."""
    if isinstance(value, list):
        return "; ".join(text for text in (read_text(each) for each in value) if text)
    return read_text(value) if isinstance(value, dict) else ""


class SystemTextField(models.JSONField):
    """A model field holding a system text (or, ``many=True``, a list of them): what the system
    wrote, beside ``shown_with``, the field of the people's own words it stands for when it is set.
    The audit trail reads it through ``audit_display``."""

    def __init__(self, *args, many: bool = False, shown_with: str = "", **kwargs):
        self.many, self.shown_with = many, shown_with
        kwargs.setdefault("default", list if many else dict)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.many:
            kwargs["many"] = True
        if self.shown_with:
            kwargs["shown_with"] = self.shown_with
        return name, path, args, kwargs

    def audit_display(self, recorded) -> str:
        """A value as the audit log recorded it (JSON text, or "None") in the current language."""
        if recorded in (None, "None", "null", ""):
            return ""
        try:
            value = json.loads(recorded) if isinstance(recorded, str) else recorded
        except ValueError:
            return str(recorded)
        return read_texts(value)
