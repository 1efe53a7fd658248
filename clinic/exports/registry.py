"""Which exports exist: each app registers its own exporters (``base.BaseExporter``) in its
``AppConfig.ready()``; this app names none of them."""

from __future__ import annotations

from .base import BaseExporter

EXPORTERS: dict[str, BaseExporter] = {}


def register(exporter: BaseExporter | type[BaseExporter]) -> BaseExporter:
    """Register an exporter (a class or an instance) under its identifier; once."""
    if isinstance(exporter, type):
        exporter = exporter()
    if not exporter.identifier:
        raise ValueError(f"{exporter!r} has no identifier")
    EXPORTERS[exporter.identifier] = exporter
    return exporter


def get_exporter(identifier: str) -> BaseExporter | None:
    return EXPORTERS.get(identifier)
