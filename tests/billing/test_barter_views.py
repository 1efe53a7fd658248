"""The barter screens: agreements, recording barter patients, review, limit increases."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.barter.models import Agreement, LimitIncrease, Policy
from billing.barter.services import figures
from clinic.patients.models import Patient
from tests.factories import make_staff, one_page_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketing(desk):
    return make_staff("marketing")


def create_agreement(client, desk, **extra):
    data = {"kind": "company", "name": "Radio Plus SRL", "overspend": "company", "valid_from": "2026-01-01",
            "categories": [desk["filling"].category.pk]} | extra
    return client.post("/barter/agreements/new/", data)


def test_marketing_adds_an_agreement_with_its_signed_document(desk, marketing, client_for):
    client = client_for(marketing)
    pdf = one_page_pdf()
    document = SimpleUploadedFile("agreement.pdf", pdf, content_type="application/pdf")
    response = create_agreement(client, desk, document=document)
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert agreement.document and list(agreement.categories.all()) == [desk["filling"].category]
    served = client.get(f"/barter/agreements/{agreement.pk}/document/")
    assert served.status_code == 200 and b"".join(served.streaming_content) == pdf
    assert client_for(make_staff(None)).get(f"/barter/agreements/{agreement.pk}/document/").status_code == 403


def test_an_agreement_without_coverage_or_with_dates_reversed_is_refused(desk, marketing, client_for):
    client = client_for(marketing)
    assert create_agreement(client, desk, categories=[]).status_code == 422
    assert create_agreement(client, desk, valid_until="2025-01-01").status_code == 422
    assert Agreement.objects.count() == 0


def test_marketing_records_a_new_barter_patient_and_a_manager_reviews_it(desk, marketing, client_for):
    client = client_for(marketing)
    create_agreement(client, desk)
    agreement = Agreement.objects.get()
    response = client.post("/barter/new/", {"agreement": agreement.pk, "first_name": "Vadim", "last_name": "Roșca",
                                            "phone": "+37369000111", "number": "RP-9", "limit": "20000"})
    assert response.status_code == 302
    policy = Policy.objects.get()
    assert policy.patient.source == "barter" and policy.patient.flag_links.filter(flag__code="barter").exists()
    page = client.get(f"/barter/{policy.pk}/").content.decode()
    assert "20,000.00 EUR" in page and "Waiting for review" in page
    assert client.post(f"/barter/{policy.pk}/review/").status_code == 403  # marketing records, a manager reviews
    client_for(desk["manager"]).post(f"/barter/{policy.pk}/review/")
    policy.refresh_from_db()
    assert policy.review == "approved" and policy.reviewed_by == desk["manager"]


def test_an_existing_patient_by_number_and_bad_input(desk, marketing, client_for):
    client = client_for(marketing)
    create_agreement(client, desk)
    agreement = Agreement.objects.get()
    before = Patient.objects.count()
    refused = client.post("/barter/new/", {"agreement": agreement.pk, "patient_number": "999999", "number": "A",
                                           "limit": "100"})
    assert refused.status_code == 422 and "No patient has this number." in refused.content.decode()
    refused = client.post("/barter/new/", {"agreement": agreement.pk, "number": "A", "limit": "100"})
    assert "first and last name" in refused.content.decode()
    response = client.post("/barter/new/", {"agreement": agreement.pk, "patient_number": desk["patient"].number,
                                            "number": "A-1", "limit": "500"})
    assert response.status_code == 302 and Patient.objects.count() == before
    assert Policy.objects.get().patient == desk["patient"]


def test_limit_increases_need_a_reason_and_show_in_the_history(desk, marketing, client_for):
    client = client_for(marketing)
    create_agreement(client, desk)
    client.post("/barter/new/", {"agreement": Agreement.objects.get().pk, "patient_number": desk["patient"].number,
                                 "number": "A-1", "limit": "500"})
    policy = Policy.objects.get()
    client.post(f"/barter/{policy.pk}/increase/", {"amount": "-5", "reason": "x"})
    client.post(f"/barter/{policy.pk}/increase/", {"amount": "100", "reason": ""})
    assert LimitIncrease.objects.count() == 0
    client.post(f"/barter/{policy.pk}/increase/", {"amount": "250", "reason": "Second campaign"})
    assert figures(policy).limit == Decimal("750.00")
    assert "Second campaign" in client.get(f"/barter/{policy.pk}/").content.decode()


def test_the_lists_filter_waiting_and_nearly_exhausted_policies(desk, marketing, client_for):
    from billing.barter.services import register_policy, review_policy, save_agreement
    from billing.reports import clinic_today
    from billing.services import add_line, open_visit

    agreement = save_agreement(None, actor=marketing, data={
        "kind": "company", "name": "Radio Plus SRL", "overspend": "company", "valid_from": clinic_today(),
        "categories": [desk["filling"].category]})
    low = review_policy(register_policy(agreement=agreement, patient=desk["patient"], number="LOW", limit="260",
                                        actor=marketing), actor=desk["manager"])
    register_policy(agreement=agreement, patient=desk["patient"], number="NEW", limit="1000", actor=marketing)
    visit = open_visit(patient=desk["patient"], location=desk["location"], actor=desk["cashier"])
    add_line(visit, service=desk["filling"], payer=low.payer, actor=desk["cashier"])  # 250 of 260
    client = client_for(marketing)
    assert ">LOW<" in client.get("/barter/?show=low").content.decode()
    assert ">NEW<" not in client.get("/barter/?show=low").content.decode()
    pending = client.get("/barter/?show=pending").content.decode()
    assert ">NEW<" in pending and ">LOW<" not in pending


def test_limit_spent_and_remaining_show_on_the_statement_patient_page_and_appointment(desk, client_for):
    from billing.barter.services import register_policy, save_agreement
    from billing.reports import clinic_today
    from tests.factories import AppointmentFactory

    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "company", "name": "Radio Plus SRL", "overspend": "company", "valid_from": clinic_today(),
        "categories": [desk["filling"].category]})
    register_policy(agreement=agreement, patient=desk["patient"], number="RP-5", limit="20000",
                    actor=desk["manager"])
    appointment = AppointmentFactory(patient=desk["patient"])
    client = client_for(desk["cashier"])
    for url, headers in ((f"/patients/{desk['patient'].pk}/statement/", {"HTTP_HX_REQUEST": "true"}),
                         (f"/patients/{desk['patient'].pk}/", {}), (f"/appointments/{appointment.pk}/", {})):
        page = client.get(url, **headers).content.decode()
        assert "Radio Plus SRL · RP-5" in page and "20,000.00 EUR" in page, url


def test_the_public_persons_plan_from_the_policy_page(desk, client_for):
    from billing.barter.models import TreatmentPlan, WriteOff
    from billing.barter.services import register_policy, review_policy, save_agreement
    from billing.reports import clinic_today

    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "public_person", "name": "Ion Brăescu", "overspend": "patient", "valid_from": clinic_today(),
        "categories": [desk["filling"].category]})
    policy = review_policy(register_policy(agreement=agreement, patient=desk["patient"], number="PP-7",
                                           limit="1000", actor=desk["manager"]), actor=desk["manager"])
    doctor, marketing = client_for(make_staff("doctor")), client_for(make_staff("marketing"))
    sales, finance = client_for(make_staff("sales_head")), client_for(make_staff("finance"))
    doctor.post(f"/barter/{policy.pk}/plan/", {"service": desk["filling"].pk, "quantity": "2"})
    assert "Add to the plan" in doctor.get(f"/barter/{policy.pk}/").content.decode()
    marketing.post(f"/barter/{policy.pk}/plan/approve/", {"new_limit": "900"})  # lower: refused
    assert TreatmentPlan.objects.get().status == "draft"
    marketing.post(f"/barter/{policy.pk}/plan/approve/", {"new_limit": "1500"})
    assert TreatmentPlan.objects.get().status == "approved"
    sales.post(f"/barter/{policy.pk}/plan/extra/", {"service": desk["filling"].pk, "quantity": "1"})
    assert TreatmentPlan.objects.get().items.filter(approved_extra=True).count() == 1
    finance.post(f"/barter/{policy.pk}/write-off/", {"note": "Campaign over"})
    assert WriteOff.objects.get().policy == policy
    assert "The policy is closed." in finance.get(f"/barter/{policy.pk}/").content.decode()


def test_the_barter_report_per_agreement_and_patient_and_its_export(desk, client_for,
                                                                    django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    from billing.barter.services import increase_limit, register_policy, review_policy, save_agreement
    from billing.reports import clinic_today
    from billing.services import add_line, open_visit
    from clinic.exports.models import Export
    from clinic.exports.services import start_export

    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "company", "name": "Radio Plus SRL", "overspend": "company", "valid_from": clinic_today(),
        "categories": [desk["filling"].category]})
    policy = review_policy(register_policy(agreement=agreement, patient=desk["patient"], number="RP-3",
                                           limit="1000", actor=desk["manager"]), actor=desk["manager"])
    increase_limit(policy, amount="500", reason="Campaign", actor=desk["manager"])
    visit = open_visit(patient=desk["patient"], location=desk["location"], actor=desk["cashier"])
    add_line(visit, service=desk["filling"], quantity=2, payer=policy.payer, actor=desk["cashier"])
    page = client_for(desk["manager"]).get("/barter/report/").content.decode()
    for figure in ("1,500.00 EUR", "500.00 EUR", "1,000.00 EUR", "RP-3", "Radio Plus SRL"):
        assert figure in page
    refused = client_for(desk["manager"]).get("/barter/report/?first=2026-02-30").content.decode()
    assert "not a valid date" in refused
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.update({"first": clinic_today().replace(day=1).isoformat(), "last": clinic_today().isoformat()})
    with django_capture_on_commit_callbacks(execute=True):
        export = start_export("barter_report", actor=desk["manager"], data=data)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE
    sheet = load_workbook(export.file.open("rb")).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1][:7] == ["Radio Plus SRL", desk["patient"].full_name, "RP-3", 1500, 500, 500, 1000]
    assert rows[1][7:] == [1, 500]


def test_marketing_records_several_employees_in_one_go(desk, marketing, client_for):
    client = client_for(marketing)
    create_agreement(client, desk)
    agreement = Agreement.objects.get()
    desk["patient"].refresh_from_db()
    existing = desk["patient"]
    employees = "\n".join([
        "RP-1; Roșca; Vadim; +37369000111",
        "RP-2; Ceban; Ana; +37369000222; 35 000",
        f"RP-3; {existing.last_name.upper()}; {existing.first_name}; {existing.phone}",  # already a patient
        "",
    ])
    response = client.post("/barter/new/employees/", {"agreement": agreement.pk, "limit": "20000",
                                                      "employees": employees})
    assert response.status_code == 302 and response["Location"].endswith("/barter/?show=pending")
    policies = {p.number: p for p in Policy.objects.select_related("patient")}
    assert set(policies) == {"RP-1", "RP-2", "RP-3"}
    assert figures(policies["RP-1"]).limit == Decimal("20000.00")
    assert figures(policies["RP-2"]).limit == Decimal("35000.00")
    assert policies["RP-3"].patient == existing
    assert policies["RP-1"].patient.source == "barter" and all(p.review == "pending" for p in policies.values())


def test_a_refused_employee_line_saves_nobody(desk, marketing, client_for):
    from tests.factories import PatientFactory

    client = client_for(marketing)
    create_agreement(client, desk)
    agreement = Agreement.objects.get()
    PatientFactory(first_name="Maria", last_name="Lungu", phone="+37369000999")
    before = Patient.objects.count()
    cases = [
        ("RP-1; Roșca; Vadim; +37369000111\nRP-1; Ceban; Ana; +37369000222", "is twice in the list"),
        ("RP-1; Roșca; Vadim; +37369000111\nRP-2; Ceban; Ana; +37369000222; -5", "Line 2: the limit is not an amount"),
        ("RP-1; Roșca; Vadim; +37369000111\nRP-2; Ceban", "Line 2: enter the policy number, last name and first"),
        ("RP-1; Roșca; Vadim; +37369000111\nRP-2; Ceban; Ana; +37369000999", "Line 2: the phone belongs to Maria"),
        ("RP-1; Roșca; Vadim", "enter a limit"),
    ]
    for employees, message in cases:
        limit = "" if "enter a limit" in message else "1000"
        response = client.post("/barter/new/employees/", {"agreement": agreement.pk, "limit": limit,
                                                          "employees": employees})
        assert response.status_code == 422 and message in response.content.decode(), message
    assert Policy.objects.count() == 0 and Patient.objects.count() == before
    # a policy number already under the agreement is refused by line, and rolls the others back
    client.post("/barter/new/", {"agreement": agreement.pk, "patient_number": desk["patient"].number,
                                 "number": "RP-7", "limit": "500"})
    response = client.post("/barter/new/employees/", {"agreement": agreement.pk, "limit": "1000",
                                                      "employees": "RP-6; Roșca; Vadim\nRP-7; Ceban; Ana"})
    assert "Line 2: This agreement already has a policy with this number." in response.content.decode()
    assert Policy.objects.count() == 1 and Patient.objects.count() == before


def test_the_booking_dialog_shows_a_picked_barter_patients_figures(desk, client_for):
    from billing.barter.services import register_policy, save_agreement
    from billing.reports import clinic_today

    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "company", "name": "Radio Plus SRL", "overspend": "company", "valid_from": clinic_today(),
        "categories": [desk["filling"].category]})
    register_policy(agreement=agreement, patient=desk["patient"], number="RP-5", limit="20000",
                    actor=desk["manager"])
    client = client_for(desk["cashier"])
    assert 'id="picked-patient-barter"' in client.get("/appointments/new/").content.decode()
    page = client.get(f"/barter/patient-policies/?patient={desk['patient'].pk}").content.decode()
    assert "Radio Plus SRL · RP-5" in page and "20,000.00 EUR" in page
    assert client.get("/barter/patient-policies/?patient=999999").status_code == 404
    assert client.get("/barter/patient-policies/?patient=x").content.decode().strip() == ""
    doctor_page = client_for(make_staff(None)).get(f"/barter/patient-policies/?patient={desk['patient'].pk}")
    assert doctor_page.status_code == 403
