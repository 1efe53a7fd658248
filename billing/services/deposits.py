"""Deposits: money paid ahead, and its refund."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from clinic.errors import DomainError

from .. import ledger
from ..models import (
    DEPOSIT_METHODS,
    Bucket,
    Deposit,
    Entry,
)
from ._common import (
    _amount,
    _check_currency,
    _shown,
)
from .visits import patient_account

# --- deposits ------------------------------------------------------------------------------


def receive_deposit(*, patient, amount, method: str, actor, currency: str = "", note: str = "") -> Deposit:
    currency = _check_currency(currency)
    if method not in DEPOSIT_METHODS:
        raise DomainError(_("A deposit is paid in cash, by card or by bank transfer."), field="method")
    amount = _amount(amount, currency)
    with transaction.atomic():
        account = patient_account(patient)
        deposit = Deposit.objects.create(patient=patient, amount=amount, currency=currency, method=method,
                                         note=(note or "").strip()[:200], received_by=actor)
        ledger.post(account=account, bucket=Bucket.DEPOSIT, kind=Entry.DEPOSIT_RECEIVED, amount=amount,
                    currency=currency, method=method, deposit=deposit, actor=actor,
                    note=deposit.note)
        return deposit


def refund_deposit(deposit: Deposit, *, amount, reason: str, actor) -> Deposit:
    """Return unused deposit money to the patient, the way it was paid."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the refund."), field="reason")
    with transaction.atomic():
        deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
        amount = _amount(amount, deposit.currency)
        remaining = ledger.deposit_remaining(deposit)
        if amount > remaining:
            raise DomainError(
                _("This deposit has %(remaining)s left.") % {"remaining": _shown(remaining, deposit.currency)},
                field="amount",
            )
        ledger.post(account=patient_account(deposit.patient), bucket=Bucket.DEPOSIT, kind=Entry.DEPOSIT_REFUNDED,
                    amount=-amount, currency=deposit.currency, method=deposit.method,
                    deposit=deposit, actor=actor, note=reason)
        return deposit


