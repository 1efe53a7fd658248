"""The audit trail's objects: each app names, in its ``AppConfig.ready()``, which of its models
have a readable trail (``/audit/<name>/<pk>/``) and which rows of other models belong to it."""

from __future__ import annotations

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
