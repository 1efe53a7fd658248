"""What partners sent, and what the clinic and a partner owe each other.

- **Statistics sent by partners**: the partner bookings made in a period (by the day they were
  booked, in the clinic's time zone), optionally of one partner; a page of rows at a time, the
  totals summed in the database. Each booking shows its **booked value** (the price-list value
  of the booked services, fixed at booking) with the commission that value would earn — a
  forecast, nothing is owed on it — and its **charged value** (what the visit of that
  appointment charged for the booked services, whoever pays: ``billing.ledger.
  booked_services_charged``; empty until billed) with the **commission earned**, read from the
  ledger (``payable_for_appointment``). Totals count the bookings still live (not cancelled).
- **Commission** is earned when the visit charges the booked services: the percent agreed at
  booking of what they charged, rounded half up once per booking, posted on the partner's
  counterparty in the same posting as the charge, the discount or the voided line that
  changes it, and reversed when the booking is cancelled (``services.charges_changed``).
- **Partner account** of a month: a line per posting of the month between the clinic and the
  partner (``billing.ledger.counterparty_movements``): what its payers were charged — the
  partner collected it from the patient and owes it to the clinic (bookings paid at the
  partner) — and the commission the clinic came to owe it; the totals are
  ``counterparty_charged`` and ``counterparty_payable``, the net the first less the second. The
  statement (page, PDF, workbook) is what the clinic and the partner's finance users both read;
  its documents never name a patient.

The statistics' workbook is a background export (``partner_statistics``, ``exporters.py``); the account's PDF and workbook are small and built on request.

The statistics' totals and charts are sums of per-partner, per-day figures (``days``): a day
is read from its folded row (``StatisticsDay``, made by the same query by the task
``partners.fold_statistics``) unless the database says something it is made of changed since,
then live; a year's page reads a few hundred rows, not every booking and ledger leg.

One module per concern: ``statistics``, ``days`` and ``account``; what they share in ``_common``. The
names below are the public ones the views, the portal and the exporters use."""

from clinic.periods import (
    month_from,
    month_so_far,
    next_month,
    parse_month,
    parse_period,
    period_bounds,
    previous_month,
    this_month,
)

from ._common import CANCELLABLE_STATUSES, HUNDRED, MONEY_FIELD, PAGE_SIZE, commission_on
from .account import (
    AccountLine,
    PartnerAccount,
    account_file_stem,
    account_month,
    account_pdf,
    account_rows,
    account_workbook,
    partner_account,
)
from .days import DayFigures, fold_statistics, live_figures, period_figures
from .statistics import (
    PartnerWeeks,
    StatisticsChart,
    StatisticsFilter,
    StatisticsPage,
    StatisticsRow,
    StatisticsTotals,
    clean_statistics,
    partner_choices,
    statistics_by_week,
    statistics_export_count,
    statistics_export_params,
    statistics_export_rows,
    statistics_figures,
    statistics_page,
    statistics_row,
    statistics_rows,
    statistics_totals,
    week_start,
)

__all__ = ["AccountLine", "CANCELLABLE_STATUSES", "DayFigures", "HUNDRED", "MONEY_FIELD", "PAGE_SIZE", "PartnerAccount", "PartnerWeeks", "StatisticsChart", "StatisticsFilter", "StatisticsPage", "StatisticsRow", "StatisticsTotals", "account_file_stem", "account_month", "account_pdf", "account_rows", "account_workbook", "clean_statistics", "commission_on", "fold_statistics", "live_figures", "month_from", "month_so_far", "next_month", "parse_month", "parse_period", "partner_account", "partner_choices", "period_figures", "period_bounds", "previous_month", "statistics_by_week", "statistics_export_count", "statistics_export_params", "statistics_export_rows", "statistics_figures", "statistics_page", "statistics_row", "statistics_rows", "statistics_totals", "this_month", "week_start"]
