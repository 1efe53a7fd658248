"""Barter (seed 002): a policy is a payer with a money limit; the rules of charging it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from billing import ledger
from billing.barter.models import Agreement, LimitIncrease, Policy
from billing.barter.services import figures, increase_limit, register_policy, review_policy, save_agreement
from billing.models import LedgerEntry, PayerKind, VisitLine
from billing.reports import clinic_today
from billing.services import ManualDiscount, add_line, open_visit, void_line
from clinic.errors import DomainError
from tests.factories import AppointmentFactory, ServiceFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def barter(desk):
    today = clinic_today()
    agreement = save_agreement(None, actor=desk["manager"], data={
        "kind": "company", "name": "Radio Plus SRL", "overspend": "company",
        "valid_from": today - timedelta(days=30), "valid_until": today + timedelta(days=300),
        "categories": [desk["filling"].category], "services": [],
    })
    policy = register_policy(agreement=agreement, patient=desk["patient"], number="M-017", limit="20000",
                             actor=desk["manager"])
    return {"agreement": agreement, "policy": policy}


def approved(barter, desk):
    return review_policy(barter["policy"], actor=desk["manager"])


def visit_for(desk):
    return open_visit(patient=desk["patient"], location=desk["location"], practitioner=desk["practitioner"],
                      actor=desk["cashier"])


def test_a_new_policy_marks_the_patient_pink_and_waits_for_review(desk, barter):
    assert desk["patient"].flag_links.filter(flag__code="barter").exists()
    with pytest.raises(DomainError, match="not been reviewed"):
        add_line(visit_for(desk), service=desk["filling"], payer=barter["policy"].payer, actor=desk["cashier"])
    assert VisitLine.objects.count() == 0


def test_treatment_is_charged_at_the_price_list_price_against_the_limit(desk, barter):
    policy = approved(barter, desk)
    add_line(visit_for(desk), service=desk["filling"], quantity=4, payer=policy.payer, actor=desk["cashier"])
    shown = figures(policy)
    assert (shown.limit, shown.spent, shown.remaining) == (D("20000.00"), D("1000.00"), D("19000.00"))
    assert ledger.balance(desk["patient"]) == 0  # the company's policy pays, not the patient


def test_no_discount_or_promotion_ever_applies_to_barter_lines(desk, barter):
    from billing.models import Promotion

    policy = approved(barter, desk)
    Promotion.objects.create(name="Spring", kind="percent", value=10, valid_from=clinic_today())
    line = add_line(visit_for(desk), service=desk["filling"], payer=policy.payer, actor=desk["cashier"])
    assert line.discount == 0
    with pytest.raises(DomainError, match="No promotion or discount"):
        add_line(visit_for(desk), service=desk["filling"], payer=policy.payer, actor=desk["manager"],
                 discount=ManualDiscount(percent=D("5"), reason="friend"))


def test_a_service_the_agreement_does_not_cover_is_refused(desk, barter):
    policy = approved(barter, desk)
    other = ServiceFactory(price=D("80.00"))  # another category
    with pytest.raises(DomainError, match="does not cover"):
        add_line(visit_for(desk), service=other, payer=policy.payer, actor=desk["cashier"])


def test_an_expired_agreement_is_refused(desk, barter):
    policy = approved(barter, desk)
    Agreement.objects.filter(pk=barter["agreement"].pk).update(valid_until=clinic_today() - timedelta(days=1),
                                                               valid_from=clinic_today() - timedelta(days=9))
    with pytest.raises(DomainError, match="not valid today"):
        add_line(visit_for(desk), service=desk["filling"], payer=policy.payer, actor=desk["cashier"])


def test_beyond_the_limit_the_company_pays_the_difference_on_a_line_of_its_own(desk, barter):
    policy = approved(barter, desk)
    visit = visit_for(desk)
    add_line(visit, service=desk["filling"], quantity=78, payer=policy.payer, actor=desk["cashier"])  # 19,500
    first = add_line(visit, service=desk["filling"], quantity=4, payer=policy.payer, actor=desk["cashier"])  # 1,000
    rest = first.split_rest.get()
    assert (first.payer, first.unit_price) == (policy.payer, D("500.00"))
    assert (rest.payer.kind, rest.unit_price) == (PayerKind.BARTER_COMPANY, D("500.00"))
    assert figures(policy).remaining == 0 and figures(policy).spent == D("20000.00")


def test_beyond_the_limit_the_patient_pays_when_the_agreement_says_so(desk, barter):
    Agreement.objects.filter(pk=barter["agreement"].pk).update(overspend="patient")
    policy = register_policy(agreement=Agreement.objects.get(), patient=desk["patient"], number="M-018",
                             limit="300", actor=desk["manager"])
    review_policy(policy, actor=desk["manager"])
    add_line(visit_for(desk), service=desk["filling"], payer=policy.payer, actor=desk["cashier"])  # 250
    add_line(visit_for(desk), service=desk["filling"], payer=policy.payer, actor=desk["cashier"])  # 50 + 200
    assert ledger.balance(desk["patient"]) == D("200.00")


def test_an_exhausted_limit_takes_the_pink_mark_off_and_notes_the_next_appointment(desk, barter):
    policy = approved(barter, desk)
    appointment = AppointmentFactory(patient=desk["patient"], location=desk["location"],
                                     practitioner=desk["practitioner"])
    add_line(visit_for(desk), service=desk["filling"], quantity=80, payer=policy.payer, actor=desk["cashier"])
    assert not desk["patient"].flag_links.filter(flag__code="barter").exists()
    appointment.refresh_from_db()
    assert appointment.notices == [{"text": "Patient pays with money — barter limit exhausted."}]
    assert appointment.note == ""  # the note is the people's
    with translation.override("ru"):
        assert appointment.notice_texts == ["Пациент платит деньгами — бартерный лимит исчерпан."]
    increase_limit(policy, amount="5000", reason="Marketing: second campaign", actor=desk["manager"])
    appointment.refresh_from_db()
    assert appointment.notices == []  # money is back: the notice is taken off
    assert desk["patient"].flag_links.filter(flag__code="barter").exists()
    assert figures(policy).remaining == D("5000.00")


def test_a_voided_barter_line_gives_the_money_back_to_the_policy(desk, barter):
    policy = approved(barter, desk)
    line = add_line(visit_for(desk), service=desk["filling"], quantity=80, payer=policy.payer, actor=desk["cashier"])
    void_line(line, reason="charged to the wrong patient", actor=desk["manager"])
    assert figures(policy).remaining == D("20000.00")
    assert desk["patient"].flag_links.filter(flag__code="barter").exists()


@pytest.mark.parametrize("amount, reason, message", [("-100", "x", "greater than zero"), ("0", "x", "greater than"),
                                                      ("100", " ", "Say why")])
def test_a_bad_limit_increase_is_refused(desk, barter, amount, reason, message):
    with pytest.raises(DomainError, match=message):
        increase_limit(barter["policy"], amount=amount, reason=reason, actor=desk["manager"])
    assert LimitIncrease.objects.count() == 0


def test_increases_are_added_with_who_when_and_why(desk, barter):
    increase_limit(barter["policy"], amount="1500", reason="Marketing: extra airtime", actor=desk["manager"])
    [increase] = barter["policy"].increases.all()
    assert (increase.amount, increase.reason, increase.added_by) == (D("1500.00"), "Marketing: extra airtime",
                                                                     desk["manager"])
    assert figures(barter["policy"]).limit == D("21500.00")


def test_policy_numbers_are_unique_per_agreement_and_agreements_need_coverage(desk, barter):
    with pytest.raises(DomainError, match="already has a policy"):
        register_policy(agreement=barter["agreement"], patient=desk["patient"], number="m-017", limit="1",
                        actor=desk["manager"])
    with pytest.raises(DomainError, match="services or categories"):
        save_agreement(None, actor=desk["manager"], data={
            "kind": "company", "name": "Empty", "overspend": "company", "valid_from": clinic_today()})
    assert Policy.objects.count() == 1 and Agreement.objects.count() == 1


def test_barter_paid_lines_stay_out_of_the_patients_balance_and_points(desk, barter):
    from billing.services import update_billing_settings

    update_billing_settings(points_per_unit="1", point_value="1", actor=desk["manager"])
    policy = approved(barter, desk)
    add_line(visit_for(desk), service=desk["filling"], payer=policy.payer, actor=desk["cashier"])
    assert ledger.balance(desk["patient"]) == 0 and ledger.points_balance(desk["patient"]) == 0
    assert LedgerEntry.objects.filter(account=policy.payer).count() == 1
