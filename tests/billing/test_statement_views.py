"""The patient account statement and the front-desk money screens, through the views."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.utils import timezone

from billing import ledger
from billing.models import Activity, Deposit, Payment, Promotion, Visit
from billing.reports import clinic_today
from billing.services import add_line, open_visit, receive_deposit, take_payment, update_billing_settings
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    make_staff,
)

pytestmark = pytest.mark.django_db

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def visit(desk):
    visit = open_visit(patient=desk["patient"], location=desk["location"], practitioner=desk["practitioner"],
                       actor=desk["cashier"])
    add_line(visit, service=desk["filling"], actor=desk["cashier"])
    return visit


def test_the_statement_opens_as_a_panel_with_the_balance_and_the_timeline(desk, visit, client_for):
    take_payment(patient=desk["patient"], visit=visit, method="card", amount="100", actor=desk["cashier"])
    response = client_for(desk["cashier"]).get(f"/patients/{desk['patient'].pk}/statement/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="statement"' in html and "<html" not in html  # a fragment for the side panel
    assert "150.00 EUR" in html  # the balance
    assert f"Visit #{visit.number}" in html and "Payment #" in html
    for tab in ("Summary", "Visits", "Appointments", "Transactions", "Deposits", "CRM", "Customer club"):
        assert f">{tab}</a>" in html


def test_without_htmx_the_statement_is_a_whole_page(desk, visit, client_for):
    response = client_for(desk["cashier"]).get(f"/patients/{desk['patient'].pk}/statement/?tab=visits")
    assert response.status_code == 200 and "<html" in response.content.decode()
    assert f"#{visit.number}" in response.content.decode()


@pytest.fixture
def account(desk, time_machine):
    """A patient's account built step by step on Monday 4 March 2030 in Bucharest (UTC+2): a visit
    with a 250.00 filling, 100.00 paid by card, a 50.00 cash deposit of which 20.00 pays the visit,
    an appointment on Wednesday, a call to make and the club points (0.1 a unit) the payments earned."""
    manager, cashier = desk["manager"], desk["cashier"]
    cashier.full_name = "Maria Ionescu"
    cashier.save()
    location = LocationFactory(name="Old Town")
    practitioner = PractitionerFactory(full_name="Dr Ana Pop")
    patient = PatientFactory(first_name="Ion", last_name="Rusu")

    def at(hour, minute=0):  # Bucharest time
        time_machine.move_to(datetime(2030, 3, 4, hour - 2, minute, tzinfo=UTC), tick=False)

    at(9)
    update_billing_settings(points_per_unit="0.1", point_value="1", actor=manager)
    visit = open_visit(patient=patient, location=location, practitioner=practitioner, actor=cashier)
    add_line(visit, service=ServiceFactory(name="Filling", price=D("250.00")), actor=cashier)
    at(9, 30)
    card = take_payment(patient=patient, visit=visit, method="card", amount="100", actor=cashier)
    at(9, 45)
    deposit = receive_deposit(patient=patient, amount="50", method="cash", note="Implant", actor=cashier)
    at(10)
    from_deposit = take_payment(patient=patient, visit=visit, method="deposit", amount="20", deposit=deposit,
                                actor=cashier)
    at(10, 15)
    appointment = AppointmentFactory(patient=patient, location=location, practitioner=practitioner,
                                     starts_at=datetime(2030, 3, 6, 12, 30, tzinfo=UTC),
                                     ends_at=datetime(2030, 3, 6, 13, 0, tzinfo=UTC))
    appointment.service_lines.create(service=ServiceFactory(name="Cleaning"))
    at(10, 30)
    Activity.objects.create(patient=patient, kind="call", subject="Ask about the X-ray", due_date=date(2030, 3, 5),
                            assignee=cashier)
    at(11)
    return {"patient": patient, "visit": visit, "card": card, "deposit": deposit, "from_deposit": from_deposit,
            "appointment": appointment}


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _tables(html: str) -> list[list[list[str]]]:
    """Each table's body as rows of cell texts."""
    return [[[_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
             for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
            for body in re.findall(r"<tbody>(.*?)</tbody>", html, re.S)]


def _timeline(html: str) -> list[tuple[str, set[str]]]:
    """The timeline's events, newest first, as (when, what happened then): events of the same
    moment (a payment and the points it earned) come in no promised order."""
    groups: list[tuple[str, set[str]]] = []
    for item in re.findall(r'<li class="kind-\w+">(.*?)</li>', html, re.S):
        when = _text(re.search(r"<small[^>]*>(.*?)</small>", item, re.S).group(1))
        what = _text(re.sub(r"<small[^>]*>.*?</small>", "", item, flags=re.S))
        if groups and groups[-1][0] == when:
            groups[-1][1].add(what)
        else:
            groups.append((when, {what}))
    return groups


def _expected(tab, account):
    visit, card, from_deposit, deposit = (account[key] for key in ("visit", "card", "from_deposit", "deposit"))
    return {
        "summary": [
            ("06.03.2030 14:30", {"Appointment · Dr Ana Pop · Booked"}),
            ("04.03.2030 10:30", {"Call: Ask about the X-ray · Maria Ionescu · Open"}),
            ("04.03.2030 10:00", {f"Payment #{from_deposit.number} · From a deposit 20.00 EUR",
                                    "Points earned · 2 points"}),
            ("04.03.2030 09:45", {f"Deposit #{deposit.number} · Cash · Implant 50.00 EUR"}),
            ("04.03.2030 09:30", {f"Payment #{card.number} · Card 100.00 EUR", "Points earned · 10 points"}),
            ("04.03.2030 09:00", {f"Visit #{visit.number} · Old Town · Dr Ana Pop"}),
        ],
        "visits": [[[f"#{visit.number}", "04.03.2030 09:00 Old Town · Dr Ana Pop", "Filling", "Open", "130.00 EUR"]]],
        "appointments": [
            [["06.03.2030 14:30", "Dr Ana Pop · Old Town", "Cleaning", "Booked"]],  # upcoming
            [["None."]],  # past
        ],
        "transactions": [[  # newest first, with the balance after each row
            ["04.03.2030 10:00", "Payment", f"#{from_deposit.number} · From a deposit", "", "20.00 EUR",
             "130.00 EUR", "Receipt Refund"],
            ["04.03.2030 09:30", "Payment", f"#{card.number} · Card", "", "100.00 EUR", "150.00 EUR",
             "Receipt Refund"],
            ["04.03.2030 09:00", "Charge", "Filling", "250.00 EUR", "", "250.00 EUR", ""],
        ]],
        "deposits": [[[f"#{deposit.number}", "04.03.2030", "Cash", "Implant", "50.00 EUR", "30.00 EUR", "Partly used",
                       "Receipt Return"]]],  # the deposit's receipt, and returning what is left
        "crm": [[["05.03.2030", "Call", "Ask about the X-ray", "Maria Ionescu", "Open", ""]]],
        "club": [[
            ["04.03.2030 10:00", "Points earned", "2"],
            ["04.03.2030 09:30", "Points earned", "10"],
        ]],
    }[tab]


@pytest.mark.parametrize("tab", ["summary", "visits", "appointments", "transactions", "deposits", "crm", "club"])
def test_every_tab_renders(account, desk, client_for, tab):
    response = client_for(desk["manager"]).get(f"/patients/{account['patient'].pk}/statement/?tab={tab}", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    figures = _text(html.split('id="statement-figures">', 1)[1].split('<div class="px-3">', 1)[0])
    assert figures == "Balance 130.00 EUR owed to the clinic Deposits 30.00 EUR Club points 12 Open visits 1"
    panel = html.split('id="statement-tab" role="tabpanel">', 1)[1]
    shown = _timeline(panel) if tab == "summary" else _tables(panel)
    assert shown == _expected(tab, account)
    if tab == "club":
        assert "The patient earns 0.1000 points per unit of currency paid; one point is worth 1.00 EUR." in panel


def test_a_doctor_sees_visits_but_no_money_tabs(desk, visit, client_for):
    doctor = make_staff("doctor")
    response = client_for(doctor).get(f"/patients/{desk['patient'].pk}/statement/", **HTMX)
    html = response.content.decode()
    assert ">Visits</a>" in html and ">Transactions</a>" not in html and "statement-balance" not in html
    assert client_for(doctor).get(f"/patients/{desk['patient'].pk}/statement/?tab=transactions",
                                  **HTMX).status_code == 404


def test_the_cashier_takes_a_payment_and_the_panel_comes_back_with_the_new_balance(desk, visit, client_for):
    client = client_for(desk["cashier"])
    form = client.get(f"/patients/{desk['patient'].pk}/cashier/", **HTMX)
    assert form.status_code == 200 and 'value="250.00"' in form.content.decode()  # the visit's due
    response = client.post(f"/patients/{desk['patient'].pk}/cashier/",
                           {"visit": visit.pk, "method": "cash", "amount": "200", "tendered": "500"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#statement" and response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert "Change: 300.00 EUR." in html and "50.00 EUR" in html
    assert ledger.balance(desk["patient"]) == D("50.00")


def test_an_overpayment_is_refused_next_to_the_amount_and_nothing_is_saved(desk, visit, client_for):
    response = client_for(desk["cashier"]).post(f"/patients/{desk['patient'].pk}/cashier/",
                                                {"visit": visit.pk, "method": "card", "amount": "260"}, **HTMX)
    assert response.status_code == 422
    assert "Only 250.00 EUR is due" in response.content.decode()
    assert Payment.objects.count() == 0


def test_a_deposit_is_received_and_returned_from_the_panel(desk, client_for):
    client = client_for(desk["manager"])
    response = client.post(f"/patients/{desk['patient'].pk}/deposits/new/",
                           {"amount": "300", "method": "transfer", "note": "Implant"}, **HTMX)
    assert response.status_code == 200 and "Deposit #" in response.content.decode()
    deposit = Deposit.objects.get()
    response = client.post(f"/deposits/{deposit.pk}/refund/", {"amount": "301", "reason": "moving"}, **HTMX)
    assert response.status_code == 422 and "300.00 EUR left" in response.content.decode()
    response = client.post(f"/deposits/{deposit.pk}/refund/", {"amount": "100", "reason": "moving"}, **HTMX)
    assert response.status_code == 200
    assert ledger.deposit_remaining(deposit) == D("200.00")


def test_a_refund_from_the_transactions_tab(desk, visit, client_for):
    payment = take_payment(patient=desk["patient"], visit=visit, method="card", amount="250", actor=desk["cashier"])
    client = client_for(desk["manager"])
    tab = client.get(f"/patients/{desk['patient'].pk}/statement/?tab=transactions", **HTMX).content.decode()
    assert f"/payments/{payment.pk}/refund/" in tab
    response = client.post(f"/payments/{payment.pk}/refund/", {"amount": "50", "reason": ""}, **HTMX)
    assert response.status_code == 422 and Payment.objects.count() == 1
    response = client.post(f"/payments/{payment.pk}/refund/", {"amount": "50", "reason": "Crown not fitted"},
                           **HTMX)
    assert response.status_code == 200 and ledger.balance(desk["patient"]) == D("50.00")


def test_a_visit_is_opened_from_todays_arrived_appointment(desk, client_for):
    appointment = AppointmentFactory(patient=desk["patient"], location=desk["location"],
                                     practitioner=desk["practitioner"], status="arrived",
                                     starts_at=timezone.now(), ends_at=timezone.now() + timedelta(minutes=30))
    appointment.service_lines.create(service=desk["cleaning"])
    client = client_for(desk["cashier"])
    form = client.get(f"/patients/{desk['patient'].pk}/visits/new/", **HTMX).content.decode()
    assert f'value="{appointment.pk}"' in form
    response = client.post(f"/patients/{desk['patient'].pk}/visits/new/", {"appointment": appointment.pk}, **HTMX)
    visit = Visit.objects.get()
    assert response["HX-Redirect"] == f"/visits/{visit.pk}/"
    assert visit.appointment == appointment and visit.lines.get().service == desk["cleaning"]


def test_the_visit_page_adds_and_voids_lines(desk, visit, client_for):
    client = client_for(desk["manager"])
    page = client.get(f"/visits/{visit.pk}/")
    assert page.status_code == 200 and "250.00 EUR" in page.content.decode()
    response = client.post(f"/visits/{visit.pk}/lines/", {"service": desk["cleaning"].pk, "quantity": "2",
                                                          "discount_percent": "10", "discount_reason": "Family"})
    assert response.status_code == 302
    assert ledger.balance(desk["patient"]) == D("430.00")
    refused = client.post(f"/visits/{visit.pk}/lines/", {"service": desk["cleaning"].pk, "quantity": "1",
                                                         "discount_percent": "10"})
    assert refused.status_code == 200 and "Give the reason for the discount." in refused.content.decode()
    line = visit.lines.get(service=desk["cleaning"])
    client.post(f"/lines/{line.pk}/void/", {"reason": "wrong patient"})
    assert ledger.balance(desk["patient"]) == D("250.00")
    client.post(f"/visits/{visit.pk}/close/")
    visit.refresh_from_db()
    assert visit.status == "closed"


def test_a_front_desk_user_may_not_change_a_price_on_the_visit_page(desk, visit, client_for):
    response = client_for(desk["cashier"]).post(f"/visits/{visit.pk}/lines/",
                                                {"service": desk["cleaning"].pk, "quantity": "1",
                                                 "unit_price": "1.00"})
    assert "may not change the price-list price" in response.content.decode()
    assert visit.lines.count() == 1


def test_tasks_are_added_from_the_panel_and_finished_from_my_tasks(desk, client_for):
    client = client_for(desk["cashier"])
    response = client.post(f"/patients/{desk['patient'].pk}/tasks/new/",
                           {"kind": "call", "subject": "Confirm the implant date",
                            "due_date": clinic_today().isoformat(), "assignee": desk["cashier"].pk}, **HTMX)
    assert response.status_code == 200
    page = client.get("/tasks/").content.decode()
    assert "Confirm the implant date" in page
    task = Activity.objects.get()
    client.post(f"/tasks/{task.pk}/finish/", {"outcome": ""})
    task.refresh_from_db()
    assert task.status == "open"
    client.post(f"/tasks/{task.pk}/finish/", {"outcome": "Patient confirmed Monday"})
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("done", "Patient confirmed Monday")
    assert "Confirm the implant date" not in client.get("/tasks/").content.decode()


def test_another_users_tasks_are_not_in_my_tasks(desk, client_for):
    Activity.objects.create(patient=desk["patient"], kind="call", subject="Not yours", due_date=clinic_today(),
                            assignee=desk["manager"])
    assert "Not yours" not in client_for(desk["cashier"]).get("/tasks/").content.decode()


def test_promotions_are_created_with_their_rules_checked(desk, client_for):
    client = client_for(desk["manager"])
    refused = client.post("/promotions/new/", {"name": "Too much", "kind": "percent", "value": "150",
                                               "valid_from": "2030-01-01"})
    assert refused.status_code == 422 and Promotion.objects.count() == 0
    response = client.post("/promotions/new/", {"name": "Spring cleaning", "kind": "percent", "value": "15",
                                                "category": desk["cleaning"].category.pk,
                                                "valid_from": "2030-03-01", "valid_until": "2030-03-31",
                                                "is_active": "on"})
    assert response.status_code == 302
    assert "Spring cleaning" in client.get("/promotions/").content.decode()


def test_the_club_settings_page(desk, client_for):
    client = client_for(desk["manager"])
    response = client.post("/settings/club/", {"points_per_unit": "0.1", "point_value": "0.50"})
    assert response.status_code == 302
    from billing.models import BillingSettings

    assert BillingSettings.load().points_per_unit == D("0.1")


def test_quick_appointment_from_the_panel_books_a_free_slot(clinic_day, client_for):
    from clinic.scheduling.models import Appointment
    from tests.factories import make_staff as staff

    cashier = staff("front_desk")
    client = client_for(cashier)
    patient = clinic_day["patient"]
    slots = client.get(f"/patients/{patient.pk}/appointments/new/?service={clinic_day['service'].pk}", **HTMX)
    html = slots.content.decode()
    assert slots.status_code == 200 and 'name="start"' in html
    start = html.split('name="start" value="')[1].split('"')[0]
    response = client.post(f"/patients/{patient.pk}/appointments/new/",
                           {"service": clinic_day["service"].pk, "start": start,
                            "slot_location": clinic_day["location"].pk,
                            "slot_practitioner": clinic_day["practitioner"].pk}, **HTMX)
    assert response.status_code == 200 and "Appointment booked" in response.content.decode()
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_an_id_from_another_clinic_is_a_404(desk, visit, client_for, clinic_b, in_clinic):
    with in_clinic(clinic_b):
        other = make_staff("manager")
    response = client_for(other, clinic_b).get(f"/visits/{visit.pk}/")
    assert response.status_code == 404


def test_a_refused_export_answers_an_htmx_request_with_its_message(desk, client_for):
    response = client_for(desk["manager"]).post("/exports/revenue_report/start/", {"first": "2030-01-31",
                                                                                  "last": "2030-01-01"}, **HTMX)
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode() and "<html" not in response.content.decode()


def test_the_navigation_marks_the_section_of_the_page(desk, client_for):
    html = client_for(desk["manager"]).get("/reports/revenue/").content.decode()
    reports = html.split('href="/reports/cash/"')[0].rsplit("<a", 1)[1]
    assert "active" in reports
