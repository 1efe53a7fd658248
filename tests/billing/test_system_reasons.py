"""The reasons the system writes — a line moved to another payer, a limit raised because a treatment
plan was approved — are kept as data and read in the reader's language (``clinic.texts``); a
person's own reason stays as typed. The reasons written before, in any of the clinic's languages,
are read back into data by the migrations."""

from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import translation

from billing import statement
from billing.barter.models import LimitIncrease
from billing.barter.services import approve_plan, draft_plan
from billing.models import LedgerEntry, VisitLine
from billing.services import add_line, change_line_payer, patient_account, void_line
from clinic.texts import read_text, system_text
from tests.billing.test_barter_plans import person  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_a_system_text_is_read_in_the_current_language_with_its_values_and_nested_texts():
    moved = system_text("Moved to %(payer)s", payer=system_text("Patient"))
    assert moved == {"text": "Moved to %(payer)s", "values": {"payer": {"text": "Patient"}}}
    with translation.override("ro"):
        assert read_text(moved) == "Mutat la Pacient"
    with translation.override("ru"):
        assert read_text(moved) == "Перенесено на Пациент"
        assert read_text(system_text("Paid by platform order %(number)s", number="AL-7")) \
            == "Оплачено заказом платформы AL-7"
    assert read_text({}) == read_text(None) == ""


def test_a_line_moved_to_another_payer_says_so_in_the_readers_language(desk, person, open_visit, client_for):  # noqa: F811
    policy = person["policy"]
    approve_plan(draft_plan(policy, items=[(desk["filling"], 1)], actor=person["doctor"]), actor=person["marketing"])
    visit = open_visit()
    line = add_line(visit, service=desk["filling"], payer=patient_account(desk["patient"]), actor=desk["cashier"])
    with translation.override("ro"):  # a Romanian receptionist moves it
        moved = change_line_payer(line, payer=policy.payer, actor=desk["cashier"])
    line.refresh_from_db()
    assert line.void_reason == ""
    assert line.void_details == {"text": "Moved to %(payer)s", "values": {"payer": policy.payer.name}}
    # The ledger keeps plain text, which can never change: the English of the code.
    assert set(LedgerEntry.objects.filter(line=line, kind="void").values_list("note", flat=True)) \
        == {f"Moved to {policy.payer.name}"}
    with translation.override("ru"):  # her Russian colleague reads it
        assert line.void_text == f"Перенесено на {policy.payer.name}"
        described = [row.description for row in statement.transactions(desk["patient"]) if row.kind == "void"]
        assert described == [f"{line.description} · Перенесено на {policy.payer.name}"]
        latest, _more = statement.latest_transactions(desk["patient"])
        assert [row.description for row in latest if row.kind == "void"] == described
    client = client_for(desk["manager"])
    client.cookies["django_language"] = "ru"
    page = client.get(f"/visits/{visit.pk}/").content.decode()
    assert f"Перенесено на {policy.payer.name}" in page and "Mutat la" not in page

    # The visit's history (the audit trail) reads what the system wrote as well, never its data.
    trail = client.get(f"/audit/visit/{visit.pk}/").content.decode()
    assert f"Перенесено на {policy.payer.name}" in trail
    assert "%(payer)s" not in trail and "void_details" not in trail

    # Back to the patient: "Patient" itself is read in the reader's language.
    change_line_payer(moved, payer=None, actor=desk["cashier"])
    moved.refresh_from_db()
    assert moved.void_details == {"text": "Moved to %(payer)s", "values": {"payer": {"text": "Patient"}}}
    with translation.override("ro"):
        assert moved.void_text == "Mutat la Pacient"


def test_a_persons_reason_stays_as_typed(desk, open_visit):
    line = add_line(open_visit(), service=desk["cleaning"], actor=desk["cashier"])
    void_line(line, reason="  Entered twice ", actor=desk["cashier"])
    line.refresh_from_db()
    assert (line.void_reason, line.void_details) == ("Entered twice", {})
    with translation.override("ru"):
        assert line.void_text == "Entered twice"
        assert [row.description for row in statement.transactions(desk["patient"]) if row.kind == "void"] \
            == [f"{line.description} · Entered twice"]


def test_a_limit_raised_by_an_approved_plan_says_so_in_the_readers_language(desk, person, client_for):  # noqa: F811
    plan = draft_plan(person["policy"], items=[(desk["filling"], 8)], actor=person["doctor"])
    with translation.override("ro"):
        approve_plan(plan, actor=person["marketing"], new_limit="2000")
    increase = person["policy"].increases.get()
    assert (increase.reason, increase.reason_details) == ("", {"text": "Treatment plan approved"})
    with translation.override("ru"):
        assert increase.reason_text == "План лечения утверждён"
    client = client_for(desk["manager"])
    client.cookies["django_language"] = "ru"
    page = client.get(f"/barter/{person['policy'].pk}/").content.decode()
    assert "План лечения утверждён" in page and "Plan de tratament" not in page


def test_the_reasons_written_before_are_read_back_into_data(desk, person, open_visit):  # noqa: F811
    """"Moved to …" in whatever language it was written, where the visit shows the move (the same service
    entered again for the payer named when the line was voided); a person's reason, and one that only
    reads alike, stay as typed."""
    from django.utils import timezone

    policy_payer = person["policy"].payer

    def moved(reason, *, to=None, evidence=True):
        visit = open_visit()
        line = add_line(visit, service=desk["cleaning"], payer=patient_account(desk["patient"]), actor=desk["cashier"])
        VisitLine.objects.filter(pk=line.pk).update(void_reason=reason, voided_at=timezone.now())
        if evidence:
            again = add_line(visit, service=desk["cleaning"], payer=patient_account(desk["patient"]),
                             actor=desk["cashier"])
            if to is not None:
                VisitLine.objects.filter(pk=again.pk).update(payer=to)
        return line.pk

    with translation.override("ru"):
        to_policy = translation.gettext("Moved to %(payer)s") % {"payer": policy_payer.name}
    lines = [moved("Mutat la Pacient"), moved(to_policy, to=policy_payer),
             moved("Moved to next week", to=policy_payer), moved("Mutat la Pacient", evidence=False),
             moved("Entered twice")]
    increases = [LimitIncrease.objects.create(policy=person["policy"], amount=Decimal("10.00"), reason=reason)
                 for reason in ("План лечения утверждён", "Plan de tratament aprobat", "Marketing's word")]

    import_module("billing.migrations.0012_system_reasons").reasons_to_details(apps, None)
    import_module("billing.barter.migrations.0004_system_reasons").reasons_to_details(apps, None)

    assert [(line.void_reason, line.void_details) for line in VisitLine.objects.filter(pk__in=lines).order_by("pk")] \
        == [("", {"text": "Moved to %(payer)s", "values": {"payer": {"text": "Patient"}}}),
            ("", {"text": "Moved to %(payer)s", "values": {"payer": policy_payer.name}}),
            ("Moved to next week", {}),  # no payer of that name took the service
            ("Mutat la Pacient", {}),  # nothing on the visit shows a move
            ("Entered twice", {})]
    assert [(increase.reason, increase.reason_details) for increase in
            LimitIncrease.objects.filter(pk__in=[x.pk for x in increases]).order_by("pk")] == [
        ("", {"text": "Treatment plan approved"}), ("", {"text": "Treatment plan approved"}),
        ("Marketing's word", {})]

    import_module("billing.migrations.0012_system_reasons").details_to_reasons(apps, None)
    assert VisitLine.objects.get(pk=lines[0]).void_reason == "Moved to Patient"
    assert VisitLine.objects.get(pk=lines[1]).void_reason == f"Moved to {policy_payer.name}"


def test_the_barter_notice_written_into_a_note_before_moves_to_the_notices(desk):
    from clinic.scheduling.models import Appointment
    from tests.factories import AppointmentFactory

    with translation.override("ro"):
        notice = translation.gettext("Patient pays with money — barter limit exhausted.")
    appointment = AppointmentFactory(patient=desk["patient"], location=desk["location"],
                                     practitioner=desk["practitioner"], note=f"{notice}\nCalls before noon")
    untouched = AppointmentFactory(patient=desk["patient"], location=desk["location"],
                                   note="Patient pays with money, he says")
    migration = import_module("clinic.scheduling.migrations.0002_appointment_notices")
    migration.notes_to_notices(apps, None)
    appointment = Appointment.objects.get(pk=appointment.pk)
    assert (appointment.note, appointment.notices) == (
        "Calls before noon", [{"text": "Patient pays with money — barter limit exhausted."}])
    assert Appointment.objects.get(pk=untouched.pk).notices == []
    migration.notices_to_notes(apps, None)
    assert Appointment.objects.get(pk=appointment.pk).note == \
        "Patient pays with money — barter limit exhausted.\nCalls before noon"
