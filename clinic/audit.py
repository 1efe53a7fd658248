"""The audit trail's objects: each app names, in its ``AppConfig.ready()``, which of its models
have a readable trail (``/audit/<name>/<pk>/``) and which rows of other models belong to it."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

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


def changes_shown(entry, model) -> list[tuple]:
    """An audit entry's changes as people read them: auditlog's display (a field's verbose name,
    its old and new values), where what the system wrote (a ``clinic.texts.SystemTextField``) is
    read in the current language and stands for the people's words beside it when it is set."""
    from clinic.texts import SystemTextField

    shown = dict(entry.changes_display_dict)
    if model is None:
        return list(shown.items())
    recorded = entry.changes_dict
    for field in model._meta.concrete_fields:
        if not isinstance(field, SystemTextField) or field.name not in recorded:
            continue
        texts = [field.audit_display(value) for value in recorded[field.name]]
        words = recorded.get(field.shown_with) if field.shown_with else None
        if words is not None:
            texts = [text or ("" if word in (None, "None") else str(word)) for text, word in zip(texts, words, strict=False)]
        shown[field.verbose_name] = texts
    return list(shown.items())
