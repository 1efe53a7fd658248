"""How much of a line a coverage takes: decided by the coverage, in one place each.

A coverage app (barter, platform orders, partners) registers, for its payer
kind, an object with ``split(payer, visit=, service=, quantity=, gross=, actor=)`` that
returns ``[(payer, amount), ...]`` — the whole line to one payer, or part of it
to the coverage and the rest to whoever pays beyond it — and ``posted(payer,
actor=)``, called once the line's entries are in the ledger (in the same
transaction). ``split`` runs first and locks what it reads (e.g. a limit).
Payers without a registered coverage take the whole line.

A coverage that prices its own lines (a platform order: its package's settlement
price split over its services) may also have ``unit_price(payer, visit=, service=)``,
the price of a line added without one (None: the price list's), and
``accepts_price(payer, visit=, service=, unit_price=)``, whether a price given by the
caller is the coverage's own (then no permission to change prices is needed).

And ``offers(payer, visit=, service=, quantity=)``: whether the visit page offers it as a payer a line
of ``service`` can move to (a platform order only on its own visit, for its package's
services); without it, every payer of the patient is offered.
"""

from __future__ import annotations

from decimal import Decimal

COVERAGES: dict[str, object] = {}


def register(kind: str, coverage) -> None:
    COVERAGES[kind] = coverage


def split(payer, *, visit, service, quantity: int, gross: Decimal, actor) -> list[tuple[object, Decimal]]:
    coverage = COVERAGES.get(payer.kind)
    if coverage is None:
        return [(payer, gross)]
    return coverage.split(payer, visit=visit, service=service, quantity=quantity, gross=gross, actor=actor)


def posted(payer, *, actor) -> None:
    coverage = COVERAGES.get(payer.kind)
    if coverage is not None:
        coverage.posted(payer, actor=actor)


def unit_price(payer, *, visit, service) -> Decimal | None:
    """The price the coverage charges for a line added without a price (None: the price list's)."""
    coverage = COVERAGES.get(payer.kind)
    if coverage is None or not hasattr(coverage, "unit_price"):
        return None
    return coverage.unit_price(payer, visit=visit, service=service)


def accepts_price(payer, *, visit, service, unit_price: Decimal) -> bool:
    """Whether ``unit_price`` is the coverage's own price for this service on this visit."""
    coverage = COVERAGES.get(payer.kind)
    if coverage is None or not hasattr(coverage, "accepts_price"):
        return False
    return coverage.accepts_price(payer, visit=visit, service=service, unit_price=unit_price)


def offers(payer, *, visit, service, quantity: int = 1) -> bool:
    """Whether a line of ``quantity`` × ``service`` on ``visit`` may be offered a move to ``payer``."""
    coverage = COVERAGES.get(payer.kind)
    if coverage is None or not hasattr(coverage, "offers"):
        return True
    return coverage.offers(payer, visit=visit, service=service, quantity=quantity)
