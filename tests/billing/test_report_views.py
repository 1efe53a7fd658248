"""The money reports' pages (cash, revenue, unapplied deposits) and their Excel exports:
the figures they show, bad periods, who may see them."""

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from billing.models import Method, Payer, PayerKind
from billing.reports import clinic_today
from billing.services import (
    ManualDiscount,
    add_line,
    receive_deposit,
    refund_deposit,
    refund_payment,
    settle_coverage,
    take_payment,
    update_billing_settings,
    void_line,
)
from clinic.accounts.roles import ROLE_PERMISSIONS, Role
from clinic.errors import DomainError
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    make_staff,
)

pytestmark = pytest.mark.django_db

D = Decimal
ALPHA_ZONE = ZoneInfo("Europe/Bucharest")  # clinic alpha's time zone (tests/conftest.py)


@contextmanager
def at(day: date, hour: int = 12):
    """Record what happens inside on ``day`` at ``hour`` in the clinic (auto_now_add reads timezone.now)."""
    moment = datetime.combine(day, time(hour), tzinfo=ALPHA_ZONE)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def a_day_of_money(desk, open_visit):
    """One patient's visit, paid every way there is, on the current day.

    The cashier takes 140 in cash and a 100 deposit by card; the manager
    refunds 20 in cash. The patient also pays 100 from the deposit and 10 with
    club credit (not cash), and the platform settles its package item (never
    in the cash report, nor revenue).
    """
    cashier, manager, patient = desk["cashier"], desk["manager"], desk["patient"]
    update_billing_settings(points_per_unit="0.1", point_value="1", actor=manager)
    visit = open_visit()
    platform = Payer.objects.create(kind=PayerKind.PLATFORM_ORDER, patient=patient, name="Order 778")
    add_line(visit, service=desk["cleaning"], payer=platform, actor=cashier)  # a package item: 100
    add_line(visit, service=desk["filling"], actor=cashier)  # outside the package: 250
    deposit = receive_deposit(patient=patient, amount="100", method=Method.CARD, actor=cashier)
    cash = take_payment(patient=patient, visit=visit, method=Method.CASH, amount="140", actor=cashier)
    take_payment(patient=patient, visit=visit, method=Method.DEPOSIT, deposit=deposit, amount="100", actor=cashier)
    take_payment(patient=patient, visit=visit, method=Method.LOYALTY, amount="10", actor=cashier)
    refund_payment(cash, amount="20", reason="Charged twice", actor=manager)
    settle_coverage(payer=platform, visit=visit, amount="100", method=Method.PLATFORM_SETTLEMENT, actor=manager)
    return visit


# --- the cash report -----------------------------------------------------------------------


def test_cash_report_shows_money_by_method_and_cashier_and_apart_what_moved_no_money(
    desk, open_visit, client_for, django_assert_max_num_queries
):
    a_day_of_money(desk, open_visit)
    client = client_for(desk["manager"])
    client.get(reverse("cash_report"))  # the clinic's routing is cached from then on
    # The session, the user, their permissions, the report: each query after its own search_path.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("cash_report"))

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.first, report.last) == (clinic_today(), clinic_today())
    cashier, manager = desk["cashier"].full_name, desk["manager"].full_name
    rows = [(r.method, r.cashier, r.money_in, r.money_out, r.net, r.count) for r in report.rows]
    assert rows == [
        ("cash", cashier, D("140.00"), D("0.00"), D("140.00"), 1),
        ("cash", manager, D("0.00"), D("-20.00"), D("-20.00"), 1),
        ("card", cashier, D("100.00"), D("0.00"), D("100.00"), 1),  # the deposit received
    ]
    totals = [(g.method, g.money_in, g.money_out, g.net, g.count) for g in response.context["methods"]]
    assert totals == [("cash", D("140.00"), D("-20.00"), D("120.00"), 2), ("card", D("100.00"), D("0.00"), D("100.00"), 1)]
    assert report.total == D("220.00")
    assert response.context["non_cash"] == [
        ("deposit", "From a deposit", 1, D("100.00")),
        ("loyalty", "Customer club credit", 1, D("10.00")),
    ]

    html = response.content.decode()
    assert "Total · Cash" in html and "Total · Card" in html
    assert '<td class="num">120.00 EUR</td>' in html  # the cash method's net
    assert '<td class="num">220.00 EUR</td>' in html  # the grand total
    assert '<td class="num">-20.00 EUR</td>' in html
    assert 'data-method="platform_settlement"' not in html and "Platform settlement<" not in html
    assert "Platform settlements are never in this report" in html
    assert 'hx-post="/exports/cash_report/start/"' in html
    assert f'name="first" value="{clinic_today():%Y-%m-%d}"' in html


def test_cash_report_of_a_day_or_a_period(desk, open_visit, client_for):
    monday, tuesday, wednesday = date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12)
    patient, cashier = desk["patient"], desk["cashier"]
    for day, amount in [(monday, "10"), (tuesday, "20"), (wednesday, "40")]:
        with at(day):
            receive_deposit(patient=patient, amount=amount, method=Method.CASH, actor=cashier)
    with at(tuesday, hour=23):  # 23:30 in Bucharest is still Tuesday there, Wednesday nowhere else
        receive_deposit(patient=patient, amount="5", method=Method.TRANSFER, actor=cashier)
    client = client_for(desk["manager"])

    day = client.get(reverse("cash_report"), {"day": "2025-03-11"})
    assert day.context["report"].by_method == {"cash": D("20.00"), "transfer": D("5.00")}
    assert "Cash report · Tuesday, 11 March 2025" in day.content.decode()
    assert 'href="?day=2025-03-10"' in day.content.decode() and 'href="?day=2025-03-12"' in day.content.decode()

    period = client.get(reverse("cash_report"), {"first": "2025-03-10", "last": "2025-03-11"})
    assert (period.context["report"].first, period.context["report"].last) == (monday, tuesday)
    assert period.context["report"].total == D("35.00")
    assert period.context["error"] is None
    assert "Cash report · 10 March 2025 – 11 March 2025" in period.content.decode()

    a_year = client.get(reverse("cash_report"), {"first": "2024-03-12", "last": "2025-03-12"})  # 366 days
    assert a_year.context["error"] is None and a_year.context["report"].total == D("75.00")


@pytest.mark.parametrize(
    "query, message",
    [
        ({"day": "2025-13-01"}, "“2025-13-01” is not a valid date."),
        ({"day": "yesterday"}, "“yesterday” is not a valid date."),
        ({"first": "2025-03-10", "last": "2025-03-01"}, "The last day is before the first."),
        ({"first": "2024-01-01", "last": "2025-01-01"}, "Choose a period of at most 366 days."),
        ({"last": "2025-03-01"}, "Enter the first day."),
        ({"first": "0001-01-01"}, "“0001-01-01” is not a valid date."),
    ],
)
def test_a_bad_period_shows_why_and_todays_cash_report(desk, client_for, query, message):
    response = client_for(desk["manager"]).get(reverse("cash_report"), query)
    assert response.status_code == 200
    assert response.context["error"] == message
    today = clinic_today()
    assert (response.context["report"].first, response.context["report"].last) == (today, today)
    html = response.content.decode()
    assert 'id="period-error"' in html and "Showing today's report instead." in html
    assert message in html


# --- the revenue report --------------------------------------------------------------------


def test_revenue_report_by_category_and_practitioner_leaves_platform_lines_out(
    desk, open_visit, client_for, django_assert_max_num_queries
):
    cashier, manager, patient = desk["cashier"], desk["manager"], desk["patient"]
    surgery = ServiceCategoryFactory(name="Surgery")
    extraction = ServiceFactory(category=surgery, price=D("400.00"))
    other_doctor = PractitionerFactory(full_name="Dr Zoe Other")
    visit = open_visit()
    add_line(visit, service=desk["cleaning"], quantity=2, actor=cashier)  # 200
    add_line(visit, service=desk["filling"], actor=manager,
             discount=ManualDiscount(amount=D("50"), reason="Staff"))  # 250 - 50
    add_line(visit, service=extraction, practitioner=other_doctor, actor=cashier)  # 400
    voided = add_line(visit, service=extraction, actor=cashier)
    void_line(voided, reason="Entered twice", actor=manager)  # 400 - 400
    platform = Payer.objects.create(kind=PayerKind.PLATFORM_ORDER, patient=patient, name="Order 9")
    add_line(visit, service=extraction, payer=platform, actor=cashier)  # the platform's: not revenue
    settle_coverage(payer=platform, visit=visit, amount="400", method=Method.PLATFORM_SETTLEMENT, actor=manager)

    client = client_for(manager)
    client.get(reverse("revenue_report"))
    # As for the cash report: one query for the report, and one for the month-by-month charts.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("revenue_report"))
    assert response.status_code == 200
    report = response.context["report"]
    today = clinic_today()
    assert (report.first, report.last) == (today.replace(day=1), today)  # this month so far
    doctor = desk["practitioner"].full_name
    general = desk["cleaning"].category.name
    assert [(r.category, r.practitioner, r.lines, r.amount) for r in report.rows] == sorted([
        (general, doctor, 1, D("200.00")),
        (desk["filling"].category.name, doctor, 1, D("200.00")),
        ("Surgery", doctor, 1, D("0.00")),  # charged and voided
        ("Surgery", "Dr Zoe Other", 1, D("400.00")),
    ])
    assert report.total == D("800.00")
    assert report.by_practitioner() == {doctor: D("400.00"), "Dr Zoe Other": D("400.00")}
    surgery_total = next(s for s in report.category_subtotals() if s.name == "Surgery")
    assert (surgery_total.lines, surgery_total.amount, surgery_total.share) == (2, D("400.00"), D("50.0"))
    html = response.content.decode()
    assert "Total · Surgery" in html
    assert '<td class="num">800.00 EUR</td>' in html
    assert "Lines paid by platform orders are not revenue" in html
    assert 'hx-post="/exports/revenue_report/start/"' in html


def test_revenue_report_of_a_period_and_a_bad_one(desk, open_visit, client_for):
    with at(date(2025, 2, 27)):
        visit = open_visit()
        add_line(visit, service=desk["filling"], actor=desk["cashier"])
    with at(date(2025, 3, 2)):
        add_line(visit, service=desk["cleaning"], actor=desk["cashier"])
    client = client_for(desk["manager"])

    february = client.get(reverse("revenue_report"), {"first": "2025-02-01", "last": "2025-02-28"})
    assert february.context["report"].total == D("250.00")
    both = client.get(reverse("revenue_report"), {"first": "2025-02-01", "last": "2025-03-31"})
    assert both.context["report"].total == D("350.00")

    bad = client.get(reverse("revenue_report"), {"first": "2025-03-31", "last": "2025-02-01"})
    assert bad.context["error"] == "The last day is before the first."
    today = clinic_today()
    assert (bad.context["report"].first, bad.context["report"].last) == (today.replace(day=1), today)
    assert "Showing this month so far instead." in bad.content.decode()


# --- unapplied deposits --------------------------------------------------------------------


def test_unapplied_deposits_show_what_the_clinic_owes(desk, open_visit, client_for, django_assert_max_num_queries):
    cashier, patient = desk["cashier"], desk["patient"]
    other = PatientFactory(first_name="Ana", last_name="Lungu")
    with at(clinic_today() - timedelta(days=10)):
        old = receive_deposit(patient=patient, amount="300", method=Method.CASH, actor=cashier)
    visit = open_visit()
    add_line(visit, service=desk["cleaning"], actor=cashier)
    take_payment(patient=patient, visit=visit, method=Method.DEPOSIT, deposit=old, amount="100", actor=cashier)
    used_up = receive_deposit(patient=patient, amount="50", method=Method.CARD, actor=cashier)
    refund_deposit(used_up, amount="50", reason="Moved away", actor=desk["manager"])
    fresh = receive_deposit(patient=other, amount="80", method=Method.TRANSFER, actor=cashier)
    AppointmentFactory(patient=patient, location=desk["location"], practitioner=desk["practitioner"],
                       starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=3) + timedelta(minutes=30))
    AppointmentFactory(patient=patient, location=desk["location"], practitioner=desk["practitioner"],
                       status="cancelled", starts_at=timezone.now() - timedelta(days=1),
                       ends_at=timezone.now() - timedelta(days=1) + timedelta(minutes=30))

    client = client_for(desk["cashier"])
    client.get(reverse("unapplied_deposits_report"))
    with django_assert_max_num_queries(12):  # as for the cash report, and the patients' flags
        response = client.get(reverse("unapplied_deposits_report"))

    assert response.status_code == 200
    report = response.context["report"]
    assert [(d, d.remaining, d.days_open) for d in report.rows] == [(old, D("200.00"), 10), (fresh, D("80.00"), 0)]
    assert report.total_remaining == D("280.00")
    html = response.content.decode()
    assert f'href="{reverse("patient_detail", args=[patient.pk])}"' in html
    assert f"#{old.number}" in html and f"#{used_up.number}" not in html
    assert '<td class="num">280.00 EUR</td>' in html
    three_days_ago = (timezone.now() - timedelta(days=3)).astimezone(ALPHA_ZONE).date()
    assert report.rows[0].last_appointment.astimezone(ALPHA_ZONE).date() == three_days_ago  # not the cancelled one
    assert report.rows[1].last_appointment is None and "none yet" in html


# --- who may see them ------------------------------------------------------------------------

PAGES = {
    "cash_report": "billing.view_cash_report",
    "revenue_report": "billing.view_revenue_report",
    "unapplied_deposits_report": "billing.view_deposit",
}
REFUSED = [(name, role) for name, perm in PAGES.items() for role in Role.values if perm not in ROLE_PERMISSIONS[role]]


@pytest.mark.parametrize("name, role", REFUSED)
def test_roles_without_the_permission_are_refused(tenant, client_for, name, role):
    response = client_for(make_staff(role)).get(reverse(name))
    assert response.status_code == 403


def test_refused_roles_are_the_expected_ones():
    assert {(name, role) for name, role in REFUSED if name == "revenue_report"} == {
        ("revenue_report", role) for role in ("front_desk", "doctor", "marketing", "sales_head")
    }
    assert {role for name, role in REFUSED if name == "cash_report"} == {"doctor", "marketing", "sales_head"}


def test_tabs_and_the_navigation_follow_the_permissions(tenant, client_for, front_desk, finance, doctor):
    html = client_for(front_desk).get(reverse("cash_report")).content.decode()
    tabs = html[html.index('id="report-tabs"'):html.index("</ul>", html.index('id="report-tabs"'))]
    assert reverse("unapplied_deposits_report") in tabs and reverse("revenue_report") not in tabs
    assert f'href="{reverse("cash_report")}"><i class="bi bi-graph-up"></i> Reports' in html

    html = client_for(finance).get(reverse("revenue_report")).content.decode()
    tabs = html[html.index('id="report-tabs"'):html.index("</ul>", html.index('id="report-tabs"'))]
    assert all(reverse(name) in tabs for name in PAGES)

    html = client_for(doctor).get(reverse("home")).content.decode()
    assert reverse("cash_report") not in html


# --- the Excel exports --------------------------------------------------------------------------


@pytest.fixture
def export_file(django_capture_on_commit_callbacks):
    """``export_file(kind, actor, data)``: start the export, build it (eagerly), return its sheet's rows."""
    from openpyxl import load_workbook

    from clinic.exports.models import Export
    from clinic.exports.services import start_export

    made = []

    def build(kind, actor, data=""):
        with django_capture_on_commit_callbacks(execute=True):
            export = start_export(kind, actor=actor, data=QueryDict(data))
        export = Export.objects.get(pk=export.pk)
        made.append(export)
        assert export.status == Export.Status.DONE, export.error
        with export.file.open("rb") as handle:
            workbook = load_workbook(handle, read_only=True)
            rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
            workbook.close()
        return export, rows

    yield build
    for export in made:
        export.file.delete(save=False)


def _money(value):
    return None if value is None else D(str(value)).quantize(D("0.01"))


def test_cash_report_export(desk, open_visit, export_file):
    a_day_of_money(desk, open_visit)
    today = clinic_today()
    export, rows = export_file("cash_report", desk["cashier"], f"first={today}&last={today}")
    assert export.params == {"first": today.isoformat(), "last": today.isoformat()}
    assert export.file_name.startswith("cash-report-alpha-")
    cashier, manager = desk["cashier"].full_name, desk["manager"].full_name
    assert rows[0] == ["Method", "Cashier", "Money in", "Money out", "Net", "Count"]
    table = [[r[0], r[1], *map(_money, r[2:5]), r[5]] for r in rows[1:7]]
    assert table == [
        ["Cash", cashier, D("140.00"), D("0.00"), D("140.00"), 1],
        ["Cash", manager, D("0.00"), D("-20.00"), D("-20.00"), 1],
        ["Total · Cash", None, D("140.00"), D("-20.00"), D("120.00"), 2],
        ["Card", cashier, D("100.00"), D("0.00"), D("100.00"), 1],
        ["Total · Card", None, D("100.00"), D("0.00"), D("100.00"), 1],
        ["Total", None, D("240.00"), D("-20.00"), D("220.00"), 3],
    ]
    assert all(isinstance(value, (int, float)) for value in rows[1][2:6])  # numbers, not text
    assert rows[8][0] == "Paid from money received earlier (not cash)"
    assert [(r[0], _money(r[4]), r[5]) for r in rows[9:11]] == [
        ("From a deposit", D("100.00"), 1), ("Customer club credit", D("10.00"), 1)
    ]
    assert rows[12][0] == "Period" and [value.date() for value in rows[12][1:3]] == [today, today]
    assert not any("Platform" in str(value) for row in rows for value in row)


def test_a_day_is_exported_by_default_and_a_bad_period_is_refused(desk, export_file):
    from clinic.exports.models import Export

    export, _rows = export_file("cash_report", desk["manager"])
    assert export.params == {"first": clinic_today().isoformat(), "last": clinic_today().isoformat()}
    from clinic.exports.services import start_export

    for data, message in [("first=2025-02-30", "is not a valid date"), ("first=2025-03-02&last=2025-03-01", "before"),
                          ("first=2023-01-01&last=2025-01-01", "at most 366 days")]:
        with pytest.raises(DomainError, match=message):
            start_export("cash_report", actor=desk["manager"], data=QueryDict(data))
        with pytest.raises(DomainError, match=message):
            start_export("revenue_report", actor=desk["manager"], data=QueryDict(data))
    assert Export.objects.count() == 1
    with pytest.raises(DomainError, match="not allowed"):
        start_export("revenue_report", actor=desk["cashier"], data=QueryDict(""))


def test_revenue_report_export(desk, open_visit, export_file):
    with at(date(2025, 3, 3)):
        visit = open_visit()
        add_line(visit, service=desk["filling"], quantity=2, actor=desk["cashier"])
        add_line(visit, service=desk["cleaning"], actor=desk["cashier"])
        platform = Payer.objects.create(kind=PayerKind.PLATFORM_ORDER, patient=desk["patient"], name="Order 1")
        add_line(visit, service=desk["cleaning"], payer=platform, actor=desk["cashier"])
    export, rows = export_file("revenue_report", desk["manager"], "first=2025-03-01&last=2025-03-31")
    assert export.params == {"first": "2025-03-01", "last": "2025-03-31"}
    doctor = desk["practitioner"].full_name
    assert rows[0] == ["Category", "Practitioner", "Lines", "Amount"]
    body = sorted([r[0], r[1], r[2], _money(r[3])] for r in rows[1:3])
    assert body == sorted([[desk["filling"].category.name, doctor, 1, D("500.00")],
                           [desk["cleaning"].category.name, doctor, 1, D("100.00")]])
    assert [rows[3][0], rows[3][2], _money(rows[3][3])] == ["Total", 2, D("600.00")]
    assert rows[5][0] == "Period" and [v.date() for v in rows[5][1:3]] == [date(2025, 3, 1), date(2025, 3, 31)]


def test_unapplied_deposits_export(desk, export_file):
    patient = PatientFactory(first_name="=HYPERLINK(\"x\")", last_name="Evil")
    deposit = receive_deposit(patient=patient, amount="120.50", method=Method.CASH, actor=desk["cashier"])
    export, rows = export_file("unapplied_deposits", desk["cashier"])
    assert export.params == {}
    assert rows[0] == ["Patient", "Patient number", "Deposit", "Received", "Amount", "Remaining", "Days open",
                       "Last appointment"]
    name, number, deposit_number, received, amount, remaining, days, last = (rows[1] + [None] * 8)[:8]
    assert (name, number, deposit_number) == ('=HYPERLINK("x") Evil', patient.number, deposit.number)  # text, not a formula
    assert (received.date(), _money(amount), _money(remaining), days, last) == (
        clinic_today(), D("120.50"), D("120.50"), 0, None)
    assert [rows[2][0], _money(rows[2][5])] == ["Total", D("120.50")]


def test_the_export_button_starts_the_export_of_the_period_shown(desk, client_for, django_capture_on_commit_callbacks):
    from clinic.exports.models import Export

    client = client_for(desk["manager"])
    page = client.get(reverse("revenue_report"), {"first": "2025-01-01", "last": "2025-01-31"}).content.decode()
    assert '<input type="hidden" name="first" value="2025-01-01"><input type="hidden" name="last" value="2025-01-31">' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export_start", args=["revenue_report"]),
                               {"first": "2025-01-01", "last": "2025-01-31"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    export = Export.objects.get()
    assert (export.kind, export.params) == ("revenue_report", {"first": "2025-01-01", "last": "2025-01-31"})
    assert f'id="export-{export.pk}"' in response.content.decode()  # the progress fragment, polling
    export.refresh_from_db()
    assert export.status == Export.Status.DONE
    export.file.delete(save=False)
