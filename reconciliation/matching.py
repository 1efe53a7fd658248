"""Matching the clinic's statement with the platform's, by platform order number and amount:
every order number gets exactly one category. Pure: two lists in, the categories out, in
time linear in the number of rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .models import Category


@dataclass(frozen=True)
class Item:
    category: str
    order_number: str
    clinic_amount: Decimal | None
    platform_amount: Decimal | None
    lines: tuple[int, ...] = ()  # where the number is in the platform's file


def match(clinic: Iterable[tuple[str, Decimal]], platform: Iterable, *, month: tuple[date, date],
          redeemed_elsewhere: set[str] = frozenset()) -> list[Item]:
    """``clinic``: (order number, amount) of the clinic's statement; ``platform``: the rows read
    from the platform's file (``line``, ``order_number``, ``amount``, ``redeemed_on``);
    ``redeemed_elsewhere``: numbers the clinic redeemed in another month than ``month``.

    - on both sides once: matched, or amount differs;
    - twice or more on one side: duplicated;
    - on the platform's side only: belongs to another month when the clinic redeemed it in
      another month or the platform dates it outside the month, else only on the platform's side;
    - on the clinic's side only: only on the clinic's side.
    """
    ours: dict[str, list[Decimal]] = defaultdict(list)
    for number, amount in clinic:
        ours[number].append(amount)
    theirs: dict[str, list] = defaultdict(list)
    for row in platform:
        theirs[row.order_number].append(row)
    first, last = month
    items = []
    for number in ours.keys() | theirs.keys():
        amounts, rows = ours.get(number, []), theirs.get(number, [])
        clinic_amount = amounts[0] if amounts else None
        platform_amount = rows[0].amount if rows else None
        lines = tuple(row.line for row in rows)
        if len(amounts) > 1 or len(rows) > 1:
            category = Category.DUPLICATED
        elif amounts and rows:
            category = Category.MATCHED if clinic_amount == platform_amount else Category.AMOUNT_DIFFERS
        elif amounts:
            category = Category.CLINIC_ONLY
        else:
            dated = rows[0].redeemed_on
            outside = dated is not None and not (first <= dated <= last)
            category = Category.OTHER_MONTH if number in redeemed_elsewhere or outside else Category.PLATFORM_ONLY
        items.append(Item(category, number, clinic_amount, platform_amount, lines))
    items.sort(key=lambda item: item.order_number)
    return items
