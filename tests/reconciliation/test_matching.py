"""Every order number gets exactly one category."""

from datetime import date
from decimal import Decimal

from reconciliation.matching import match
from reconciliation.statement_files import StatementRow

MARCH = (date(2030, 3, 1), date(2030, 3, 31))


def row(line, number, amount, day=None):
    return StatementRow(line, number, Decimal(amount), day)


def test_each_kind_of_difference_is_found_and_nothing_else():
    ours = [("A", Decimal("100.00")), ("B", Decimal("100.00")), ("C", Decimal("50.00")), ("D", Decimal("20.00"))]
    theirs = [row(2, "A", "100.00"), row(3, "B", "90.00"), row(4, "E", "10.00"), row(5, "D", "20.00"),
              row(6, "D", "20.00"), row(7, "F", "30.00"), row(8, "G", "40.00", date(2030, 2, 27))]
    items = {item.order_number: item for item in match(ours, theirs, month=MARCH, redeemed_elsewhere={"F"})}
    assert {n: i.category for n, i in items.items()} == {
        "A": "matched", "B": "amount_differs", "C": "clinic_only", "D": "duplicated", "E": "platform_only",
        "F": "other_month", "G": "other_month"}
    assert (items["B"].clinic_amount, items["B"].platform_amount) == (Decimal("100.00"), Decimal("90.00"))
    assert items["D"].lines == (5, 6)


def test_two_empty_sides_match_to_nothing():
    assert match([], [], month=MARCH) == []
