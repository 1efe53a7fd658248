"""A statement's and a settlement batch's history as people read it: what happened (the action's
name) and what it was about, kept as data (an event's ``details``) and written out when read, in
the reader's language with the language's numbers and the amount's currency — never in the
language of whoever acted (an operator in Shanghai reads a Chişinău manager's request in Chinese).
An event's ``note`` is only ever a person's own words (a reason, a transaction number, a voucher
code). No model here (the models read their text from this module): the choices' labels come
from the caller."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy, ngettext

STATEMENT_ACTIONS = {
    "generated": gettext_lazy("Generated"),
    "imported": gettext_lazy("Platform's statement imported"),
    "resolved": gettext_lazy("Difference resolved"),
    "verified": gettext_lazy("Verified"),
    "unverified": gettext_lazy("Verification undone"),
}

BATCH_ACTIONS = {
    "proposed": gettext_lazy("Proposed"),
    "requested": gettext_lazy("Settlement requested"),
    "invoice_received": gettext_lazy("Invoice received"),
    "paid": gettext_lazy("Paid"),
    "voucher_issued": gettext_lazy("Voucher issued"),
}


def imported_details(file_name: str, rows: int, differences: int) -> dict:
    return {"file": file_name[:120], "rows": rows, "differences": differences}


def resolved_details(order_number: str, resolution: str) -> dict:
    return {"order": order_number, "resolution": resolution}


def requested_details(method: str, amount: Decimal, currency: str, statements: int) -> dict:
    return {"method": method, "amount": str(amount), "currency": currency, "statements": statements}


def _count(number: int) -> str:
    return number_format(number, use_l10n=True, force_grouping=True)


def import_counts(rows: int, differences: int) -> str:
    """"2 rows, 1 difference" in the current language."""
    return ", ".join((
        ngettext("%(count)s row", "%(count)s rows", rows) % {"count": _count(rows)},
        ngettext("%(count)s difference", "%(count)s differences", differences) % {"count": _count(differences)}))


def statement_event_text(details: dict, note: str = "", *, resolutions: dict) -> str:
    """A statement event's details in the current language, then its note: ``file``, ``rows`` and
    ``differences`` (a platform's statement imported), ``order`` and ``resolution`` (a difference
    resolved; ``resolutions`` names each choice)."""
    parts = []
    if "file" in details:
        parts.append(f"{details['file']}: {import_counts(details['rows'], details['differences'])}")
    if "order" in details:
        choice = details.get("resolution", "")
        parts.append(f"{details['order']}: {resolutions.get(choice, choice)}")
    if note:
        parts.append(note)
    return " · ".join(parts)


def batch_event_text(details: dict, note: str = "", *, methods: dict) -> str:
    """A settlement batch event's details in the current language, then its note: ``method``,
    ``amount``, ``currency`` and ``statements`` (a settlement requested; ``methods`` names each
    choice)."""
    from clinic.templatetags.ui import money

    parts = []
    if "method" in details:
        method = str(methods.get(details["method"], details["method"]))
        statements = ngettext("%(count)s statement", "%(count)s statements", details["statements"]) \
            % {"count": _count(details["statements"])}
        parts += [method, money(Decimal(details["amount"]), details["currency"]), statements]
    if note:
        parts.append(note)
    return " · ".join(parts)
