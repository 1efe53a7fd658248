"""Finance's receivables screens: who may see and settle, what they show, bad input, and the
statement's files; and moving a visit line to another payer (the per-line payer)."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse

from billing import ledger
from billing.barter.services import register_policy, review_policy, save_agreement
from billing.models import CounterpartyReceipt, LedgerEntry
from billing.reports import clinic_today
from billing.services import add_line, open_visit

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def owing(desk):
    """A barter company whose policy was charged 750 (3 fillings)."""
    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "company", "name": "Radio Plus SRL", "overspend": "company", "valid_from": date(2000, 1, 1),
        "services": [desk["filling"]]})
    policy = review_policy(register_policy(agreement=agreement, patient=desk["patient"], number="M-7",
                                           limit="10000", actor=desk["manager"]), actor=desk["manager"])
    visit = open_visit(patient=desk["patient"], location=desk["location"], practitioner=desk["practitioner"],
                       actor=desk["cashier"])
    add_line(visit, service=desk["filling"], quantity=3, payer=policy.payer, actor=desk["cashier"])
    return {"counterparty": agreement.counterparty, "policy": policy, "visit": visit}


def urls(counterparty):
    return [
        ("get", reverse("receivables")),
        ("get", reverse("counterparty_detail", args=[counterparty.pk])),
        ("get", reverse("counterparty_statement_file", args=[counterparty.pk, "pdf"])),
        ("get", reverse("counterparty_statement_file", args=[counterparty.pk, "xlsx"])),
        ("post", reverse("counterparty_receipt", args=[counterparty.pk])),
    ]


@pytest.mark.parametrize("role", ["front_desk", "doctor", "marketing", "sales_head"])
def test_roles_without_access_are_refused(owing, make_user, client_for, role):
    client = client_for(make_user(role))
    for method, url in urls(owing["counterparty"]):
        assert getattr(client, method)(url).status_code == 403, url


def test_a_manager_reads_but_does_not_settle(owing, manager, client_for):
    client = client_for(manager)
    assert client.get(reverse("receivables")).status_code == 200
    response = client.post(reverse("counterparty_receipt", args=[owing["counterparty"].pk]),
                           {"amount": "10", "received_on": clinic_today().isoformat(), "reference": "X"})
    assert response.status_code == 403 and not CounterpartyReceipt.objects.exists()


def test_anonymous_goes_to_the_login(owing, client_for):
    response = client_for().get(reverse("receivables"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_list_shows_each_counterparty_with_its_figures(owing, finance, client_for):
    response = client_for(finance).get(reverse("receivables"))
    assert response.status_code == 200
    [row] = [r for r in response.context["rows"] if r.counterparty == owing["counterparty"]]
    assert (row.owes, row.owed, row.bands) == (D("750.00"), D("0.00"), [D("750.00"), D("0"), D("0"), D("0")])
    assert "Radio Plus SRL" in response.content.decode() and "750.00" in response.content.decode()


def test_finance_records_a_transfer_and_the_debt_falls(owing, finance, client_for):
    counterparty = owing["counterparty"]
    client = client_for(finance)
    response = client.post(reverse("counterparty_receipt", args=[counterparty.pk]),
                           {"amount": "500", "received_on": clinic_today().isoformat(), "reference": "TR-77"})
    assert response.status_code == 302
    assert ledger.counterparty_balance(counterparty).owes == D("250.00")
    assert ledger.owed_by(owing["policy"].payer) == D("250.00")  # allocated to the policy's debt
    page = client.get(reverse("counterparty_detail", args=[counterparty.pk])).content.decode()
    assert "TR-77" in page and "250.00" in page


@pytest.mark.parametrize("data, message", [
    ({"amount": "10", "received_on": "", "reference": "TR"}, "This field is required."),
    ({"amount": "-5", "received_on": "2020-01-01", "reference": "TR"}, "greater than or equal to 0"),
    ({"amount": "0", "received_on": "2020-01-01", "reference": "TR"}, "Enter an amount greater than zero."),
    ({"amount": "10", "received_on": "2099-01-01", "reference": "TR"}, "cannot be in the future"),
    ({"amount": "10", "received_on": "2020-01-01", "reference": "  "}, "This field is required."),
])
def test_a_bad_transfer_is_refused_with_a_message_and_nothing_is_written(owing, finance, client_for, data, message):
    before = LedgerEntry.objects.count()
    response = client_for(finance).post(reverse("counterparty_receipt", args=[owing["counterparty"].pk]), data)
    assert response.status_code == 422 and message in response.content.decode()
    assert LedgerEntry.objects.count() == before and not CounterpartyReceipt.objects.exists()


def test_another_clinics_counterparty_is_not_found(owing, finance, client_for):
    response = client_for(finance).get(reverse("counterparty_detail", args=[owing["counterparty"].pk + 999]))
    assert response.status_code == 404
    assert client_for(finance).get(reverse("counterparty_statement_file",
                                           args=[owing["counterparty"].pk, "exe"])).status_code == 404


def test_the_statement_files_give_opening_entries_and_closing(owing, finance, client_for):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    counterparty = owing["counterparty"]
    client = client_for(finance)
    pdf = client.get(reverse("counterparty_statement_file", args=[counterparty.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert "Radio Plus SRL" in text and "Opening balance" in text and "750.00" in text
    xlsx = client.get(reverse("counterparty_statement_file", args=[counterparty.pk, "xlsx"]))
    rows = list(load_workbook(BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[1][1:] == ("Entry", "Details", "Owes the clinic", "Owed by the clinic", "Balance")
    assert rows[2][1] == "Opening balance" and rows[-1][1] == "Closing balance" and rows[-1][5] == 750


def test_the_statement_pdf_is_in_the_clinics_language_whoever_downloads_it(owing, finance, client_for, tenant):
    """The PDF is one of the clinic's documents, in its language: its lines' labels were written out
    in the downloader's language before (a Russian-speaking finance officer's PDF mixed both)."""
    from pypdf import PdfReader

    assert tenant.default_language == "en"
    client = client_for(finance)
    client.cookies["django_language"] = "ru"
    pdf = client.get(reverse("counterparty_statement_file", args=[owing["counterparty"].pk, "pdf"]))
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert "Opening balance" in text and "Charge" in text
    assert "Начисление" not in text


def test_a_barter_patients_booked_service_goes_to_the_policy_and_the_desk_can_move_lines(
        desk, front_desk, client_for):
    """The issue's new-user trial: an initial consultation the agreement covers, booked for a
    barter patient, went onto the visit as the patient's; now the policy takes it, and the desk
    can move a line between payers."""
    from tests.factories import AppointmentFactory

    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "company", "name": "Radio Plus SRL", "overspend": "company", "valid_from": date(2000, 1, 1),
        "services": [desk["filling"]]})
    policy = review_policy(register_policy(agreement=agreement, patient=desk["patient"], number="M-8",
                                           limit="20000", actor=desk["manager"]), actor=desk["manager"])
    appointment = AppointmentFactory(patient=desk["patient"], location=desk["location"],
                                     practitioner=desk["practitioner"], status="arrived")
    appointment.service_lines.create(service=desk["filling"])
    visit = open_visit(patient=desk["patient"], location=desk["location"], actor=desk["cashier"],
                       appointment=appointment)
    [line] = visit.lines.all()
    assert line.payer == policy.payer  # the agreement covers it
    cleaning = add_line(visit, service=desk["cleaning"], actor=desk["cashier"])
    assert cleaning.payer.kind == "patient"  # not covered: the patient's

    client = client_for(front_desk)
    response = client.post(reverse("line_payer", args=[line.pk]), {"payer": cleaning.payer.pk})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.voided_at is not None
    moved = visit.lines.filter(voided_at__isnull=True, service=desk["filling"]).get()
    assert moved.payer == cleaning.payer and ledger.visit_due(visit, cleaning.payer) == D("350.00")
    assert ledger.spent_by(policy.payer) == 0
    # Another patient's payer is refused with a message, nothing changes.
    from tests.factories import PatientFactory

    stranger = add_line(open_visit(patient=PatientFactory(), location=desk["location"], actor=desk["cashier"]),
                        service=desk["cleaning"], actor=desk["cashier"]).payer
    response = client.post(reverse("line_payer", args=[moved.pk]), {"payer": stranger.pk}, follow=True)
    assert "Choose a payer from the list." in response.content.decode()
    moved.refresh_from_db()
    assert moved.voided_at is None
