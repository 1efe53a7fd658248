"""The statistics sent by partners read per partner and day: folded days (``StatisticsDay``) plus,
live, the days whose bookings changed since (the database's triggers say which). Whatever happens
to a booking after its day was folded — billed, a line voided or its service changed, booked
services added or removed, cancelled at the partner or at the desk, the visit moved, the booking
removed, the partner's counterparty changed, the clinic's time zone changed — the figures read
are the live ones, day by day; the fold keeps what changed while it ran."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.http import QueryDict

from billing.models import Counterparty, Visit, VisitLine
from clinic.periods import clinic_zone, period_bounds
from clinic.scheduling.models import AppointmentService
from clinic.scheduling.services import change_status
from partners import reports
from partners.models import PartnerBooking, StatisticsChange, StatisticsDay
from partners.reports import days
from partners.services import cancel_booking
from tests.factories import make_staff
from tests.partners.test_partner_reports import bill, book, booked_on

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)


def live(first=FIRST, last=LAST, partnership_id=None):
    starts, ends = period_bounds(first, last)
    bookings = PartnerBooking.objects.filter(created__gte=starts, created__lt=ends)
    if partnership_id is not None:
        bookings = bookings.filter(partnership_id=partnership_id)
    return days.live_figures(bookings)


def assert_read_as_live(*partnerships):
    """The period's figures, as read, are the live ones — as a whole and for each partner."""
    assert days.period_figures(FIRST, LAST) == live()
    for partnership in partnerships:
        assert days.period_figures(FIRST, LAST, partnership.pk) == live(partnership_id=partnership.pk)


@pytest.fixture
def march(world, add_partner):
    """MedAsist (10 %) books on 2, 3 and 4 March, Call Centre Nord (5 %) on 3 March."""
    first, first_member = add_partner(percent="10")
    second, second_member = add_partner("Call Centre Nord", "RO999", percent="5", locations=("there",))
    made = {}
    with booked_on(date(2026, 3, 2)):
        made["a"] = book(world, first_member, hour=10)
    with booked_on(date(2026, 3, 3)):
        made["b"] = book(world, first_member, hour=11, services=("consultation", "ecg"))
        made["c"] = book(world, second_member, hour=10, location=world["there"], practitioner=world["other"])
    with booked_on(date(2026, 3, 4)):
        made["d"] = book(world, first_member, hour=12, services=("ecg",))
        made["e"] = book(world, first_member, hour=13)
    return first, second, made


def test_the_first_fold_makes_every_day_and_the_days_read_back_equal_the_live_figures(march):
    first, second, _made = march
    expected = live()
    assert {day for _partner, day in expected} == {date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)}
    assert StatisticsChange.objects.exists()  # every booking made is a change until folded
    assert days.fold_statistics() == 3
    assert not StatisticsChange.objects.exists()
    folded = {(row.partnership_id, row.day): row for row in StatisticsDay.objects.all()}
    assert set(folded) == set(expected) and {row.zone for row in folded.values()} == {str(clinic_zone())}
    assert folded[first.pk, date(2026, 3, 3)].booked == D("550.00")  # consultation 400 + ECG 150
    assert days.fold_statistics() == 0  # nothing changed since
    assert_read_as_live(first, second)
    assert days.period_figures(FIRST, LAST) == expected


def test_whatever_changes_after_a_fold_is_read_live_until_the_next(march, world):
    """Each change after a fold: the figures read are the live ones (a trigger missing a kind of
    change would leave the folded day's old figures in place, and this would fail)."""
    first, second, made = march
    manager = world["manager"]

    def billed_a():
        return bill(world, made["a"], extra=("ecg",))

    def void_an_extra_line():
        bill(world, made["b"], extra=("mri",), void_extra=True)

    def book_a_service_billed_unbooked():
        AppointmentService.objects.create(appointment=made["a"].appointment, service=world["ecg"], position=5)

    def unbook_it_again():
        AppointmentService.objects.filter(appointment=made["a"].appointment, service=world["ecg"]).delete()

    def change_a_lines_service():
        line = VisitLine.objects.filter(visit__appointment=made["a"].appointment, service=world["ecg"]).get()
        VisitLine.objects.filter(pk=line.pk).update(service=world["mri"])  # not booked

    def cancel_at_the_partner():
        cancel_booking(made["c"], by_name="Irina", reason="No longer needed")

    def cancel_at_the_desk():
        change_status(made["d"].appointment, "cancel", actor=manager, reason="Patient called")

    def move_a_visit_to_another_appointment():
        visit = Visit.objects.get(appointment=made["b"].appointment)
        Visit.objects.filter(pk=visit.pk).update(appointment=made["e"].appointment)

    def remove_a_booking():
        PartnerBooking.objects.filter(pk=made["e"].pk).update(posting=None, cancel_posting=None)
        PartnerBooking.objects.filter(pk=made["e"].pk).delete()

    def give_the_partner_another_counterparty():
        other = Counterparty.objects.create(kind=Counterparty.Kind.PARTNER, reference="partner:elsewhere",
                                            name="MedAsist (old books)", currency="MDL")
        type(first).objects.filter(pk=first.pk).update(counterparty=other)

    steps = [billed_a, void_an_extra_line, book_a_service_billed_unbooked, unbook_it_again,
             book_a_service_billed_unbooked, change_a_lines_service, cancel_at_the_partner, cancel_at_the_desk,
             move_a_visit_to_another_appointment, remove_a_booking, give_the_partner_another_counterparty]
    for step in steps:
        days.fold_statistics()
        folded = live()
        step()
        assert StatisticsChange.objects.exists(), f"{step.__name__}: no change written"
        assert live() != folded, f"{step.__name__} changes no figure: it proves nothing"
        assert_read_as_live(first, second)
    days.fold_statistics()
    assert_read_as_live(first, second)


def test_what_the_figures_do_not_read_writes_no_change(march, world):
    """A payment on a partner booking's visit, an appointment moved or its note edited, a
    booking's services re-ordered: no day to read live again (the triggers look only at what the
    figures read)."""
    from billing.models import Method
    from billing.services import take_payment
    from clinic.scheduling.models import Appointment

    _first, _second, made = march
    visit = bill(world, made["a"])
    days.fold_statistics()
    take_payment(patient=visit.patient, visit=visit, method=Method.CASH, amount="100", actor=world["manager"])
    Appointment.objects.filter(pk=made["b"].appointment_id).update(note="Call before", updated=made["b"].created)
    assert not StatisticsChange.objects.exists()
    Appointment.objects.filter(pk=made["b"].appointment_id).update(status="confirmed")  # this one is read
    assert StatisticsChange.objects.count() == 1


def test_a_table_emptied_at_once_leaves_no_folded_day_standing(march):
    """TRUNCATE is not a row's change: the folded days go, every booking is read live again."""
    from django.db import connection

    first, second, _made = march
    days.fold_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (the test's transaction has deferred checks pending)
        cursor.execute("TRUNCATE scheduling_appointmentservice")
    assert not StatisticsDay.objects.exists() and StatisticsChange.objects.exists()
    assert_read_as_live(first, second)
    assert days.fold_statistics() == 3
    assert_read_as_live(first, second)


def test_the_totals_and_the_chart_read_the_same_before_and_after_a_fold(march, world):
    first, _second, made = march
    bill(world, made["a"], extra=("ecg",))
    filters = reports.clean_statistics(QueryDict(f"first={FIRST}&last={LAST}"))
    before = (reports.statistics_totals(filters), reports.statistics_by_week(filters))
    days.fold_statistics()
    assert not StatisticsChange.objects.exists()
    after = (reports.statistics_totals(filters), reports.statistics_by_week(filters))
    assert before == after
    totals = after[0]
    assert (totals.bookings, totals.live, totals.billed) == (5, 5, 1)
    assert (totals.charged, totals.commission_charged) == (D("400.00"), D("40.00"))


def test_days_folded_in_another_time_zone_are_never_read(march, tenant, monkeypatch):
    first, second, _made = march
    days.fold_statistics()
    # UTC+14: the bookings made at noon move to the next day. (The clinic is shared by the tests:
    # its attribute is put back after this one, its row by the test's transaction.)
    monkeypatch.setattr(tenant, "time_zone", "Pacific/Kiritimati")
    tenant.save(update_fields=["time_zone"])
    expected = live()
    assert {day for _partner, day in expected} == {date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)}
    assert_read_as_live(first, second)
    assert days.fold_statistics() == 3  # every day again, in the new zone
    assert set(StatisticsDay.objects.values_list("zone", flat=True)) == {"Pacific/Kiritimati"}
    assert_read_as_live(first, second)


def test_a_change_written_while_the_fold_runs_stays_for_the_next(march, monkeypatch):
    first, second, made = march
    reading = days.live_figures
    written = []

    def a_booking_cancelled_meanwhile(bookings, **kwargs):
        figures = reading(bookings, **kwargs)
        if not written:  # after the fold read its days: this change is not one of them
            written.append(PartnerBooking.objects.filter(pk=made["a"].pk).update(cancelled_at=made["a"].created))
        return figures

    monkeypatch.setattr(days, "live_figures", a_booking_cancelled_meanwhile)
    days.fold_statistics()
    monkeypatch.undo()
    assert written and StatisticsChange.objects.exists()
    assert StatisticsDay.objects.get(partnership=first, day=date(2026, 3, 2)).live == 1  # folded before it
    assert_read_as_live(first, second)
    assert days.period_figures(FIRST, LAST)[first.pk, date(2026, 3, 2)].live == 0
    assert days.fold_statistics() == 1
    assert not StatisticsChange.objects.exists()
    assert_read_as_live(first, second)


def test_many_changed_days_are_read_live_as_a_whole(march, monkeypatch):
    first, second, _made = march
    monkeypatch.setattr(days, "MOST_CHANGED_DAYS", 1)  # three changed days: more than one
    assert_read_as_live(first, second)
    assert not StatisticsDay.objects.exists()


def test_the_fold_runs_every_few_minutes_as_a_task(march):
    from partners.tasks import fold_statistics

    entry = settings.CELERY_BEAT_SCHEDULE["fold-partner-statistics"]
    assert entry["task"] == fold_statistics.name and entry["schedule"] <= 600
    assert fold_statistics.apply().get() == 3
    assert not StatisticsChange.objects.exists()


def test_the_statistics_page_shows_the_same_figures_folded_or_live(march, world, client_for):
    _first, _second, made = march
    bill(world, made["b"])
    client = client_for(make_staff("finance"))
    client.cookies["django_language"] = "en"
    url = f"/partners/statistics/?first={FIRST}&last={LAST}"

    def figures_shown():
        html = client.get(url).content.decode()
        return html[html.index('id="statistics-totals"'):html.index('id="statistics-table"')]  # totals and charts

    live_page = figures_shown()
    assert 'id="total-bookings">5<' in live_page and 'id="total-charged">550.00 EUR<' in live_page
    days.fold_statistics()
    assert figures_shown() == live_page
    cancel_booking(made["d"], by_name="Irina", reason="No longer needed")  # the ECG, 150.00
    cancelled = figures_shown()  # the cancelled booking leaves the totals at once
    assert 'id="total-bookings">4<' in cancelled and 'id="total-booked">1,750.00 EUR<' in cancelled
