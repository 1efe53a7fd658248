"""Billing operations, one module per concern: payers, visits and their lines (``visits``);
payments, refunds and what coverages pay (``payments``); deposits (``deposits``); promotions and
the customer club (``promotions``); CRM tasks (``crm``). Each runs in one transaction, locks what
it changes, posts to the ledger, and refuses bad input with a ``DomainError`` (nothing is saved
then). The names below are the public ones other apps use."""

from ._common import COVERAGE_METHODS, VISIT_STATUSES, clinic_today, parse_amount, whole_quantity
from .crm import add_activity, finish_activity
from .deposits import receive_deposit, refund_deposit
from .payments import (
    PaymentPart,
    pay_from_coverage,
    payment_settles,
    refund_payment,
    refundable,
    settle_coverage,
    take_payment,
    take_payment_in_parts,
)
from .promotions import save_promotion, update_billing_settings
from .visits import (
    DEFAULT_PAYERS,
    ManualDiscount,
    add_line,
    applicable_promotions,
    change_line_payer,
    close_visit,
    default_payer,
    open_visit,
    open_visit_on_start,
    patient_account,
    promotion_discount,
    visit_for_appointment,
    void_line,
)

__all__ = [
    "COVERAGE_METHODS", "DEFAULT_PAYERS", "VISIT_STATUSES", "ManualDiscount", "PaymentPart", "add_activity",
    "add_line", "applicable_promotions", "change_line_payer", "clinic_today", "close_visit", "default_payer",
    "finish_activity", "open_visit", "open_visit_on_start", "parse_amount", "patient_account", "pay_from_coverage",
    "payment_settles", "promotion_discount", "receive_deposit", "refund_deposit", "refund_payment", "refundable",
    "save_promotion", "settle_coverage", "take_payment", "take_payment_in_parts", "update_billing_settings",
    "visit_for_appointment", "void_line", "whole_quantity",
]
