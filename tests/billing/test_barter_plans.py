"""Public persons (seed 002): a doctor's treatment plan, marketing's approval, the sales
head's approval beyond it, and finance's write-off that closes the policy."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.barter.models import TreatmentPlan, WriteOff
from billing.barter.services import (
    approve_extra,
    approve_plan,
    draft_plan,
    figures,
    register_policy,
    review_policy,
    save_agreement,
    write_off,
)
from billing.models import Entry, LedgerEntry
from billing.reports import cash_report, clinic_today, revenue_report
from billing.services import add_line, open_visit
from clinic.errors import DomainError
from tests.factories import ServiceFactory, make_staff

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def person(desk):
    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "public_person", "name": "Ion Brăescu", "overspend": "patient", "valid_from": clinic_today(),
        "categories": [desk["filling"].category, desk["cleaning"].category]})
    policy = review_policy(register_policy(agreement=agreement, patient=desk["patient"], number="PP-1",
                                           limit="1000", actor=desk["manager"]), actor=desk["manager"])
    return {"policy": policy, "doctor": make_staff("doctor"), "marketing": make_staff("marketing"),
            "sales": make_staff("sales_head"), "finance": make_staff("finance")}


def visit(desk):
    return open_visit(patient=desk["patient"], location=desk["location"], actor=desk["cashier"])


def test_nothing_is_charged_before_marketing_approves_the_plan(desk, person):
    with pytest.raises(DomainError, match="not approved this patient's treatment plan"):
        add_line(visit(desk), service=desk["filling"], payer=person["policy"].payer, actor=desk["cashier"])
    plan = draft_plan(person["policy"], items=[(desk["filling"], 2)], actor=person["doctor"])
    with pytest.raises(DomainError, match="not approved"):
        add_line(visit(desk), service=desk["filling"], payer=person["policy"].payer, actor=desk["cashier"])
    approve_plan(plan, actor=person["marketing"])
    add_line(visit(desk), service=desk["filling"], quantity=2, payer=person["policy"].payer, actor=desk["cashier"])
    assert figures(person["policy"]).spent == D("500.00")


def test_outside_the_plan_needs_the_sales_heads_approval(desk, person):
    plan = approve_plan(draft_plan(person["policy"], items=[(desk["filling"], 1)], actor=person["doctor"]),
                        actor=person["marketing"])
    policy = person["policy"]
    add_line(visit(desk), service=desk["filling"], payer=policy.payer, actor=desk["cashier"])
    for service in (desk["filling"], desk["cleaning"]):  # once more than planned / not planned at all
        with pytest.raises(DomainError, match="sales head must approve"):
            add_line(visit(desk), service=service, payer=policy.payer, actor=desk["cashier"])
    approve_extra(plan, service=desk["cleaning"], quantity=1, actor=person["sales"])
    add_line(visit(desk), service=desk["cleaning"], payer=policy.payer, actor=desk["cashier"])
    assert figures(policy).spent == D("350.00")


def test_marketing_may_raise_the_limit_when_approving_but_never_lower_it(desk, person):
    plan = draft_plan(person["policy"], items=[(desk["filling"], 8)], actor=person["doctor"])
    with pytest.raises(DomainError, match="only ever increased"):
        approve_plan(plan, actor=person["marketing"], new_limit="500")
    approve_plan(plan, actor=person["marketing"], new_limit="2000")
    assert figures(person["policy"]).limit == D("2000.00")
    assert person["policy"].increases.get().reason_text == "Treatment plan approved"


def test_a_plan_item_off_the_price_list_or_agreement_is_refused(desk, person):
    retired = ServiceFactory(category=desk["filling"].category, is_active=False)
    other = ServiceFactory()  # a category the agreement does not cover
    for service, quantity, message in [(retired, 1, "price list"), (other, 1, "does not cover"),
                                       (desk["filling"], 0, "at least 1")]:
        with pytest.raises(DomainError, match=message):
            draft_plan(person["policy"], items=[(service, quantity)], actor=person["doctor"])
    assert not TreatmentPlan.objects.filter(items__isnull=False).exists()


def test_finance_writes_off_the_barter_debt_and_the_policy_closes(desk, person):
    policy = person["policy"]
    approve_plan(draft_plan(policy, items=[(desk["filling"], 2)], actor=person["doctor"]), actor=person["marketing"])
    add_line(visit(desk), service=desk["filling"], quantity=2, payer=policy.payer, actor=desk["cashier"])
    record = write_off(policy, actor=person["finance"], note="Campaign finished")
    assert record.amount == D("500.00")
    assert LedgerEntry.objects.get(kind=Entry.WRITE_OFF, account__isnull=False).amount == D("-500.00")
    day = clinic_today()
    assert cash_report(day).total == 0  # a write-off moves no money
    assert revenue_report(day, day).total == D("500.00")  # the treatment was revenue when charged
    with pytest.raises(DomainError, match="closed"):
        add_line(visit(desk), service=desk["filling"], payer=policy.payer, actor=desk["cashier"])
    with pytest.raises(DomainError, match="already written off"):
        write_off(policy, actor=person["finance"])
    assert WriteOff.objects.count() == 1


def test_plans_are_for_public_persons_only(desk):
    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "company", "name": "Radio Plus", "overspend": "company", "valid_from": clinic_today(),
        "categories": [desk["filling"].category]})
    policy = register_policy(agreement=agreement, patient=desk["patient"], number="C-1", limit="100",
                             actor=desk["manager"])
    with pytest.raises(DomainError, match="public persons"):
        draft_plan(policy, items=[(desk["filling"], 1)], actor=desk["manager"])


def test_a_public_persons_first_visit_is_booked_for_sixty_minutes(clinic_day, desk):
    from clinic.scheduling.services import book_appointment
    from tests.scheduling.conftest import at

    patient = clinic_day["patient"]
    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "public_person", "name": "Ion Brăescu", "overspend": "patient", "valid_from": clinic_today(),
        "categories": [clinic_day["service"].category]})
    register_policy(agreement=agreement, patient=patient, number="PP-60", limit="1000", actor=desk["manager"])
    common = {"actor": desk["manager"], "patient": patient, "location": clinic_day["location"],
              "practitioner": clinic_day["practitioner"], "service_ids": [clinic_day["service"].pk]}
    first = book_appointment(starts_at=at(clinic_day["monday"], 9), **common)  # a 30-minute service
    assert first.ends_at - first.starts_at == timedelta(minutes=60)
    second = book_appointment(starts_at=at(clinic_day["monday"], 11), **common)
    assert second.ends_at - second.starts_at == timedelta(minutes=30)


def test_the_write_off_document_lists_what_the_policy_paid_for(desk, person, client_for):
    import io

    from pypdf import PdfReader

    policy = person["policy"]
    approve_plan(draft_plan(policy, items=[(desk["filling"], 2)], actor=person["doctor"]), actor=person["marketing"])
    add_line(visit(desk), service=desk["filling"], quantity=2, payer=policy.payer, actor=desk["cashier"])
    client = client_for(person["finance"])
    assert client.get(f"/barter/{policy.pk}/write-off.pdf").status_code == 404  # not written off yet
    write_off(policy, actor=person["finance"], note="Campaign finished")
    response = client.get(f"/barter/{policy.pk}/write-off.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages)
    for expected in ("Barter write-off", "Ion Brăescu", "PP-1", desk["filling"].name, "500.00 EUR",
                     "Campaign finished"):
        assert expected in text
    assert client_for(person["marketing"]).get(f"/barter/{policy.pk}/write-off.pdf").status_code == 403


def test_a_split_line_counts_its_whole_quantity_against_the_plan(desk, person):
    from billing.barter.services import increase_limit

    policy = person["policy"]
    approve_plan(draft_plan(policy, items=[(desk["filling"], 5)], actor=person["doctor"]), actor=person["marketing"])
    add_line(visit(desk), service=desk["filling"], quantity=3, payer=policy.payer, actor=desk["cashier"])
    split = add_line(visit(desk), service=desk["filling"], quantity=2, payer=policy.payer, actor=desk["cashier"])
    assert split.split_rest.exists() and split.split_quantity == 2  # 250 to the policy, 250 to the patient
    increase_limit(policy, amount="1000", reason="Second stage", actor=person["marketing"])
    with pytest.raises(DomainError, match="sales head must approve"):  # all five planned fillings are used
        add_line(visit(desk), service=desk["filling"], payer=policy.payer, actor=desk["cashier"])
    assert figures(policy).spent == D("1000.00")
