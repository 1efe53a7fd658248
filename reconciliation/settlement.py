"""Quarterly settlement of platform orders (seed 000, steps 6-8 and sections 十四–十五).

In January, April, July and October (or an off-cycle window the operator opens for one clinic)
a clinic settles its verified, unsettled statements of a platform in one batch: in cash, against
an invoice (a VAT special invoice for the settlement amount, an ordinary one for amount / 1.06,
which is what the operator then pays), or with one consumables voucher of exactly the amount,
valid three years, used once in the operator's shop.

The batch lives in the clinic's schema; the operator processes its mirror, a request in the
public schema. Paying (or issuing the voucher) posts on the clinic's ledger in the same
transaction: the platform's debt for every order of the batch is allocated to zero; the tax
withheld on an ordinary invoice is posted, not lost. Nothing settled changes afterwards.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, tenant_context

from billing.counterparties import Share, settle_in_full
from billing.models import Book
from clinic.audit import audited_in_other_schema
from clinic.calendars import format_date
from clinic.errors import DomainError
from clinic.locking import advisory_lock
from clinic.money import ZERO, round_money
from clinic.periods import clinic_today, quarter_period
from platforms.amounts import with_amounts
from platforms.catalogue.models import Enrolment, Platform
from platforms.models import PlatformOrder
from platforms.services import platform_counterparty

from . import history
from .models import BatchEvent, MonthlyStatement, SettlementBatch, StatementLine
from .payouts.models import (
    ConsumablesVoucher,
    InvoiceType,
    Method,
    RequestStatus,
    SettlementRequest,
    SettlementWindow,
)

WINDOW_MONTHS = (1, 4, 7, 10)
ORDINARY_INVOICE_DIVISOR = Decimal("1.06")
VOUCHER_YEARS = 3


# --- when -----------------------------------------------------------------------------------


def next_window(today: date) -> date:
    """The first day of the next settlement month after ``today``'s."""
    year, month = today.year, today.month
    for _step in range(12):
        month += 1
        if month > 12:
            year, month = year + 1, 1
        if month in WINDOW_MONTHS:
            return date(year, month, 1)
    raise AssertionError("unreachable")


def off_cycle_window(clinic_id: int, today: date) -> SettlementWindow | None:
    with schema_context("public"):
        return SettlementWindow.objects.filter(clinic_id=clinic_id, opens_on__lte=today, closes_on__gte=today).first()


def window_is_open(today: date | None = None) -> bool:
    today = today or clinic_today()
    return today.month in WINDOW_MONTHS or off_cycle_window(connection.tenant.pk, today) is not None


def open_off_cycle_window(clinic, *, opens_on: date, closes_on: date, reason: str, actor) -> SettlementWindow:
    """The operator lets one clinic settle outside January, April, July and October, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for opening a window outside the settlement months."), field="reason")
    if closes_on < opens_on or (closes_on - opens_on).days > 31:
        raise DomainError(_("A window is open for at most a month, and closes after it opens."), field="closes_on")
    with schema_context("public"):
        return SettlementWindow.objects.create(clinic=clinic, opens_on=opens_on, closes_on=closes_on,
                                               reason=reason[:300], opened_by=actor)


# --- what a batch settles -------------------------------------------------------------------


def settleable_statements(platform: Platform, batch: SettlementBatch | None = None):
    """Verified statements of the platform not in another batch."""
    statements = MonthlyStatement.objects.filter(platform=platform, status=MonthlyStatement.Status.VERIFIED)
    if batch is not None and batch.pk:
        return statements.filter(settlement__in=[batch]) | statements.filter(settlement__isnull=True)
    return statements.filter(settlement__isnull=True)


def statements_total(statements) -> Decimal:
    return StatementLine.objects.filter(statement__in=statements).aggregate(
        total=Sum("amount"))["total"] or ZERO


def invoice_amount(amount: Decimal, invoice_type: str, currency: str) -> Decimal:
    """What the invoice is for, and what the operator pays: the settlement amount on a VAT
    special invoice; amount / 1.06, rounded half up to the cent, on an ordinary one."""
    if invoice_type == InvoiceType.VAT_SPECIAL:
        return amount
    if invoice_type == InvoiceType.ORDINARY:
        return round_money(amount / ORDINARY_INVOICE_DIVISOR, currency)  # ROUND_HALF_UP, once
    raise DomainError(_("Choose the invoice type."), field="invoice_type")


def _lock(platform_id: int, quarter: date) -> None:
    advisory_lock("settlement", platform_id, f"{quarter:%Y-%m}")


def record(batch: SettlementBatch, action: str, *, actor=None, note: str = "", details: dict | None = None) -> BatchEvent:
    """One line of the batch's history: ``note`` only ever a person's words or a code, what the
    event was about as ``details`` (written out when read: ``reconciliation.history``)."""
    name = getattr(actor, "full_name", "") or getattr(actor, "email", "") or ""
    return BatchEvent.objects.create(batch=batch, action=action, actor=name[:200], note=note[:300],
                                     details=details or {}, created=timezone.now())


def propose_batches(*, today: date | None = None) -> list[SettlementBatch]:
    """The quarterly task: in a settlement month, one proposed batch per platform that has
    verified, unsettled statements — once per platform and quarter, however often it runs or
    from however many workers (a unique constraint plus a lock)."""
    today = today or clinic_today()
    if not window_is_open(today):
        return []
    quarter = quarter_period(today)[0]
    made = []
    platforms = Platform.objects.filter(enrolments__clinic_id=connection.tenant.pk,
                                        enrolments__status=Enrolment.Status.APPROVED)
    for platform in platforms:
        with transaction.atomic():
            _lock(platform.pk, quarter)
            if SettlementBatch.objects.filter(platform=platform, quarter=quarter).exists():
                continue
            if not settleable_statements(platform).exists():
                continue
            batch = SettlementBatch.objects.create(platform=platform, quarter=quarter, currency=platform.currency,
                                                   proposed_at=timezone.now())
            record(batch, "proposed")
            made.append(batch)
    return made


@dataclass
class BankDetails:
    account_holder: str = ""
    bank_name: str = ""
    account_number: str = ""


def check_bank_details(details: BankDetails) -> BankDetails:
    """Complete details, or the settlement is refused (the seed: incomplete details delay the
    payment). An account number that is an IBAN is checked by python-stdnum."""
    from stdnum import iban

    holder, bank = " ".join(details.account_holder.split()), " ".join(details.bank_name.split())
    number = "".join(details.account_number.split()).upper()
    if not holder:
        raise DomainError(_("Enter the account holder."), field="account_holder")
    if not bank:
        raise DomainError(_("Enter the bank."), field="bank_name")
    if not number:
        raise DomainError(_("Enter the account number."), field="account_number")
    if number[:2].isalpha():
        if not iban.is_valid(number):
            raise DomainError(_("This IBAN is not valid: check it against the bank's documents."),
                              field="account_number")
    elif not number.isdigit() or not 8 <= len(number) <= 34:
        raise DomainError(_("Enter the account number as its digits (8 to 34) or an IBAN."), field="account_number")
    return BankDetails(holder[:200], bank[:200], number)


def start_settlement(platform: Platform, *, method: str, actor, invoice_type: str = "",
                     bank: BankDetails | None = None, today: date | None = None) -> SettlementBatch:
    """A clinic starts this quarter's batch settlement of the platform's verified, unsettled
    statements (only those). Cash: the bank details and the invoice type; a voucher is issued
    at once and credited to the clinic's shop account."""
    today = today or clinic_today()
    if not window_is_open(today):
        raise DomainError(_("Settlements are started in January, April, July and October; the next window opens "
                            "on %(day)s.") % {"day": format_date(next_window(today), "DATE_FORMAT")})
    if method not in Method.values:
        raise DomainError(_("Choose how the platform settles."), field="method")
    if method == Method.CASH:
        bank = check_bank_details(bank or BankDetails())
    quarter = quarter_period(today)[0]
    clinic = connection.tenant
    with transaction.atomic(durable=not connection.in_atomic_block):
        _lock(platform.pk, quarter)
        batch = SettlementBatch.objects.select_for_update().filter(platform=platform, quarter=quarter).first()
        if batch is None:
            batch = SettlementBatch.objects.create(platform=platform, quarter=quarter, currency=platform.currency,
                                                   proposed_at=timezone.now())
        elif batch.status != SettlementBatch.Status.PROPOSED:
            raise DomainError(_("This quarter's settlement of %(platform)s is started already.")
                              % {"platform": platform.name})
        statements = list(settleable_statements(platform, batch).select_for_update())
        amount = statements_total(statements)
        if not statements or amount <= 0:
            raise DomainError(_("No verified statement is waiting to be settled."))
        payout = invoice_amount(amount, invoice_type, platform.currency) if method == Method.CASH else amount
        MonthlyStatement.objects.filter(pk__in=[s.pk for s in statements]).update(settlement=batch)
        batch.method, batch.amount, batch.payout = method, amount, payout
        batch.invoice_type = invoice_type if method == Method.CASH else ""
        if bank is not None and method == Method.CASH:
            batch.account_holder, batch.bank_name, batch.account_number = (
                bank.account_holder, bank.bank_name, bank.account_number)
        batch.status = SettlementBatch.Status.REQUESTED
        batch.requested_at, batch.requested_by = timezone.now(), actor
        with schema_context("public"), audited_in_other_schema(actor):
            request = SettlementRequest.objects.create(
                clinic_id=clinic.pk, platform=platform, batch_id=batch.pk, quarter=quarter, method=method,
                amount=amount, currency=platform.currency, invoice_type=batch.invoice_type, payout=payout,
                account_holder=batch.account_holder, bank_name=batch.bank_name,
                account_number=batch.account_number, requested_at=batch.requested_at,
                requested_by=getattr(actor, "full_name", "") or str(actor or ""))
        batch.request_id = request.pk
        batch.save()
        record(batch, "requested", actor=actor,
               details=history.requested_details(method, amount, platform.currency, len(statements)))
        if method == Method.VOUCHER:
            _issue_voucher(request, batch, clinic, actor=actor)
        return batch


def _shares(batch: SettlementBatch) -> list[Share]:
    """Every order of the batch's statements, at what it still owes (the ledger's)."""
    orders = with_amounts(PlatformOrder.objects.filter(statement_lines__statement__settlement=batch).distinct())
    return [Share(order.payer_id, order.visit_id, order.owed) for order in orders if order.owed > 0]


def _settle_on_ledger(batch: SettlementBatch, *, arrived: list[tuple[str, Decimal]], reference: str,
                      received_on: date) -> None:
    shares = _shares(batch)
    total = sum((share.amount for share in shares), ZERO)
    if total != batch.amount:
        # The ledger moved since the statements were verified (a voided line): the settlement
        # pays what was verified; a correction is a new entry, never an edit of this one.
        raise DomainError(_("The orders of this batch now owe %(now)s, not the %(verified)s verified; check the "
                            "statements again.") % {"now": total, "verified": batch.amount})
    receipt = settle_in_full(platform_counterparty(batch.platform_id), shares=shares, arrived=arrived,
                             reference=reference, received_on=received_on, actor=None)
    batch.receipt = receipt


def _issue_voucher(request: SettlementRequest, batch: SettlementBatch, clinic, *, actor=None) -> ConsumablesVoucher:
    now, today = timezone.now(), clinic_today()  # the clinic's day, read before leaving its schema
    with schema_context("public"), audited_in_other_schema(actor):
        voucher = ConsumablesVoucher.objects.create(
            clinic_id=clinic.pk, request=request, code=f"V{secrets.token_hex(5).upper()}", amount=request.amount,
            currency=request.currency, issued_at=now,
            expires_on=_years_later(today, VOUCHER_YEARS))
        request.status = RequestStatus.VOUCHER_ISSUED
        request.save(update_fields=["status"])
    _settle_on_ledger(batch, arrived=[(Book.VOUCHERS, batch.amount)], reference=voucher.code,
                      received_on=today)
    batch.status, batch.voucher_code = SettlementBatch.Status.VOUCHER_ISSUED, voucher.code
    batch.save(update_fields=["status", "voucher_code", "receipt"])
    record(batch, "voucher_issued", note=voucher.code)
    return voucher


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- the operator's side ----------------------------------------------------------------------


def _locked_request(request: SettlementRequest) -> SettlementRequest:
    with schema_context("public"):
        return SettlementRequest.objects.select_for_update().select_related("clinic", "platform").get(pk=request.pk)


def receive_invoice(request: SettlementRequest, *, actor) -> SettlementRequest:
    with transaction.atomic(durable=not connection.in_atomic_block):
        request = _locked_request(request)
        if request.method != Method.CASH or request.status != RequestStatus.REQUESTED:
            raise DomainError(_("Only a cash settlement waiting for its invoice can receive one."))
        with schema_context("public"):
            request.status, request.invoice_received_at, request.processed_by = (
                RequestStatus.INVOICE_RECEIVED, timezone.now(), actor)
            request.save(update_fields=["status", "invoice_received_at", "processed_by"])
        with tenant_context(request.clinic), audited_in_other_schema(actor):
            batch = SettlementBatch.objects.select_for_update().get(pk=request.batch_id)
            batch.status = SettlementBatch.Status.INVOICE_RECEIVED
            batch.save(update_fields=["status"])
            record(batch, "invoice_received", actor=actor)
        return request


def pay_settlement(request: SettlementRequest, *, transaction_number: str, paid_on: date, actor) -> SettlementRequest:
    """The operator has paid: the bank transaction number and the day are recorded, and on the
    clinic's ledger the platform's debt for every order of the batch goes to zero (the payout
    to the bank, an ordinary invoice's withheld tax to its own book)."""
    transaction_number = " ".join((transaction_number or "").split())
    if not transaction_number:
        raise DomainError(_("Enter the bank transaction number."), field="transaction_number")
    if paid_on is None or paid_on > timezone.localdate() + timedelta(days=1):
        raise DomainError(_("Enter the day it was paid (not in the future)."), field="paid_on")
    with transaction.atomic(durable=not connection.in_atomic_block):
        request = _locked_request(request)
        if request.method != Method.CASH or request.status != RequestStatus.INVOICE_RECEIVED:
            raise DomainError(_("A cash settlement is paid once its invoice has arrived, and only once."))
        with schema_context("public"):
            request.status, request.paid_on, request.transaction_number, request.processed_by = (
                RequestStatus.PAID, paid_on, transaction_number[:100], actor)
            request.save(update_fields=["status", "paid_on", "transaction_number", "processed_by"])
        with tenant_context(request.clinic), audited_in_other_schema(actor):
            batch = SettlementBatch.objects.select_for_update().get(pk=request.batch_id)
            arrived = [(Book.TILL_TRANSFER, request.payout), (Book.INVOICE_TAX, request.amount - request.payout)]
            _settle_on_ledger(batch, arrived=arrived, reference=transaction_number, received_on=paid_on)
            batch.status, batch.paid_on, batch.transaction_number = (
                SettlementBatch.Status.PAID, paid_on, transaction_number[:100])
            batch.save(update_fields=["status", "paid_on", "transaction_number", "receipt"])
            record(batch, "paid", actor=actor, note=transaction_number)
        return request
