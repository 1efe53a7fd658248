"""The audit trail's objects: each app names, in its ``AppConfig.ready()``, which of its models
have a readable trail (``/audit/<name>/<pk>/``) and which rows of other models belong to it."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC

from django.db import models


@dataclass(frozen=True)
class Trail:
    model: type[models.Model]
    # (model, the ``additional_data`` key that names the object): rows that belong to its trail.
    related: tuple[tuple[type[models.Model], str], ...] = ()


TRAILS: dict[str, Trail] = {}


def register_trail(name: str, model: type[models.Model], related=()) -> None:
    TRAILS[name] = Trail(model, tuple(related))


@contextmanager
def audited_in_other_schema(actor):
    """Audit entries of rows written in another schema than the actor's (a clinic's user
    writing the operator's public rows, an operator writing a clinic's) name the actor by
    email only: the user's id belongs to the other schema (its foreign key would fail, or
    name someone else). Entries written afterwards keep their actor."""
    from auditlog.context import auditlog_value, set_extra_data

    previous = auditlog_value.get(None)
    try:
        with set_extra_data({"actor": None, "actor_email": getattr(actor, "email", None)}):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)


def _shown_value(field, recorded) -> str | None:
    """A value as the audit log recorded it (text), written out as the page writes its own: dates
    and times in the clinic's calendar and time zone, amounts in the language's numbers, yes/no and
    "—" in the reader's language. None where auditlog's own display is kept (choices, relations)."""
    from decimal import Decimal, InvalidOperation

    from django.utils.dateparse import parse_date, parse_datetime
    from django.utils.formats import number_format
    from django.utils.translation import gettext as _

    from clinic.calendars import format_date
    from clinic.periods import clinic_zone

    if recorded in (None, "None"):
        return "—"
    if field.choices or field.is_relation:
        return None
    kind = field.get_internal_type()
    try:
        if kind == "DateTimeField":
            moment = parse_datetime(recorded)
            if moment is None:
                return None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return format_date(moment.astimezone(clinic_zone()), "SHORT_DATETIME_FORMAT")
        if kind == "DateField":
            day = parse_date(recorded[:10])
            return format_date(day, "SHORT_DATE_FORMAT") if day else None
        if kind == "DecimalField":
            return number_format(Decimal(recorded), decimal_pos=field.decimal_places, use_l10n=True,
                                 force_grouping=True)
        if kind in ("IntegerField", "BigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField"):
            if field.unique or field.primary_key or not field.editable or field.name.endswith("_id"):
                return None  # a number that names something (a receipt's, a visit's): as written
            return number_format(int(recorded), use_l10n=True, force_grouping=True)
        if kind == "BooleanField":
            return _("yes") if recorded in ("True", True) else _("no")
        if kind in ("CharField", "TextField", "EmailField"):
            return str(recorded)
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        return None
    return None


def changes_shown(entry, model) -> list[tuple]:
    """An audit entry's changes as people read them: auditlog's display (a field's verbose name,
    its old and new values), where dates, times, amounts, numbers and yes/no are written out as the
    rest of the page (``_shown_value``), and what the system wrote (a ``clinic.texts.SystemTextField``)
    is read in the current language and stands for the people's words beside it when it is set."""
    from clinic.texts import SystemTextField

    shown = dict(entry.changes_display_dict)
    if model is None:
        return list(shown.items())
    recorded = entry.changes_dict
    for field in model._meta.concrete_fields:
        if field.name not in recorded or isinstance(field, SystemTextField) or field.verbose_name not in shown:
            continue
        kept = list(shown[field.verbose_name])  # auditlog's own, where ours has nothing to say
        values = [_shown_value(field, value) for value in recorded[field.name]]
        shown[field.verbose_name] = [value if value is not None else (kept[index] if index < len(kept) else "")
                                     for index, value in enumerate(values)]
    for field in model._meta.concrete_fields:
        if not isinstance(field, SystemTextField) or field.name not in recorded:
            continue
        texts = [field.audit_display(value) for value in recorded[field.name]]
        words = recorded.get(field.shown_with) if field.shown_with else None
        if words is not None:
            texts = [text or ("" if word in (None, "None") else str(word)) for text, word in zip(texts, words, strict=False)]
        shown[field.verbose_name] = texts
    return list(shown.items())
