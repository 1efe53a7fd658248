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
