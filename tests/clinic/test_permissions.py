"""Every URL of the clinic site, walked with every role: allowed or refused.

A URL added to clinic/urls.py without a row here fails the first test.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from clinic.accounts.roles import Role
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PractitionerFactory,
    ServiceFactory,
    make_staff,
)

pytestmark = pytest.mark.django_db

ALL = set(Role.values)
MANAGER = {Role.MANAGER}
EXPORTERS = {Role.MANAGER, Role.MARKETING, Role.SALES_HEAD, Role.FINANCE}
DESK = {Role.MANAGER, Role.FRONT_DESK}

# url name -> (method, roles allowed); "anyone" pages need no login at all.
MATRIX = {
    "home": ("get", ALL),
    "set_language": ("anyone", None),
    "favicon": ("anyone", None),
    "accounts:login": ("anyone", None),
    "accounts:logout": ("anyone", None),
    "accounts:password_reset": ("anyone", None),
    "accounts:password_reset_done": ("anyone", None),
    "accounts:password_reset_confirm": ("anyone", None),
    "accounts:password_reset_complete": ("anyone", None),
    "accounts:password_change": ("get", ALL),
    "settings": ("get", MANAGER),
    "staff_list": ("get", MANAGER),
    "staff_create": ("get", MANAGER),
    "staff_edit": ("get", MANAGER),
    "location_list": ("get", ALL),
    "location_create": ("get", MANAGER),
    "location_edit": ("get", MANAGER),
    "practitioner_list": ("get", ALL),
    "practitioner_create": ("get", MANAGER),
    "practitioner_detail": ("get", ALL),
    "practitioner_edit": ("get", MANAGER),
    "practitioner_hours": ("get", MANAGER),
    "practitioner_breaks": ("get", MANAGER),
    "absence_add": ("post", MANAGER),
    "absence_remove": ("post", MANAGER),
    "service_list": ("get", ALL),
    "service_create": ("get", MANAGER),
    "service_edit": ("get", MANAGER),
    "service_import": ("get", MANAGER),
    "export_start": ("post", EXPORTERS),
    # Exports belong to whoever started them: see test_exports.py.
    "export_status": ("owner", None),
    "export_download": ("owner", None),
    "audit_trail": ("get", {Role.MANAGER, Role.FINANCE}),
    "patient_list": ("get", ALL),
    "patient_create": ("get", DESK),
    "patient_pick": ("get", ALL),
    "patient_detail": ("get", ALL),
    "patient_edit": ("get", DESK | {Role.DOCTOR}),
    "patient_flag": ("post", DESK | {Role.DOCTOR}),
    "calendar_day": ("get", ALL),
    "calendar_week": ("get", ALL),
    "reception": ("get", ALL),
    "free_slots": ("get", ALL),
    "appointment_new": ("get", DESK),
    "appointment_detail": ("get", ALL),
    "appointment_reschedule": ("post", DESK | {Role.DOCTOR}),
    "appointment_action": ("post", DESK | {Role.DOCTOR}),
    "patient_statement": ("get", DESK | {Role.DOCTOR, Role.FINANCE}),
    "cashier": ("get", DESK),
    "deposit_new": ("get", DESK),
    "visit_new": ("get", DESK | {Role.DOCTOR}),
    "activity_new": ("get", DESK | {Role.DOCTOR, Role.MARKETING}),
    "appointment_quick": ("get", DESK),
    "payment_refund": ("get", {Role.MANAGER, Role.FINANCE}),
    "deposit_refund": ("get", {Role.MANAGER, Role.FINANCE}),
    "visit_detail": ("get", DESK | {Role.DOCTOR, Role.FINANCE}),
    "appointment_visit": ("post", DESK | {Role.DOCTOR}),
    "line_add": ("post", DESK | {Role.DOCTOR}),
    "visit_close": ("post", DESK | {Role.DOCTOR}),
    "line_void": ("post", {Role.MANAGER, Role.FINANCE}),
    "my_tasks": ("get", DESK | {Role.DOCTOR, Role.MARKETING}),
    "activity_finish": ("post", DESK | {Role.DOCTOR, Role.MARKETING}),
    "promotion_list": ("get", {Role.MANAGER, Role.MARKETING, Role.SALES_HEAD}),
    "promotion_create": ("get", {Role.MANAGER, Role.MARKETING}),
    "promotion_edit": ("get", {Role.MANAGER, Role.MARKETING}),
    "club_settings": ("get", MANAGER),
    "barter_policies": ("get", ALL),
    "barter_policy_create": ("get", {Role.MANAGER, Role.MARKETING}),
    "barter_employees_create": ("get", {Role.MANAGER, Role.MARKETING}),
    "barter_patient_policies": ("get", ALL),
    "barter_policy": ("get", ALL),
    "barter_policy_review": ("post", MANAGER),
    "barter_policy_increase": ("post", {Role.MANAGER, Role.MARKETING}),
    "barter_plan_item_add": ("post", {Role.MANAGER, Role.DOCTOR}),
    "barter_plan_approve": ("post", {Role.MANAGER, Role.MARKETING}),
    "barter_plan_extra": ("post", {Role.MANAGER, Role.SALES_HEAD}),
    "barter_write_off": ("post", {Role.MANAGER, Role.FINANCE}),
    "barter_write_off_document": ("get", {Role.MANAGER, Role.FINANCE}),
    "barter_agreements": ("get", ALL),
    "barter_report": ("get", ALL),
    "barter_agreement_create": ("get", {Role.MANAGER, Role.MARKETING}),
    "barter_agreement_edit": ("get", {Role.MANAGER, Role.MARKETING}),
    "barter_agreement_document": ("get", ALL),
    "partner_list": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}),
    "partner_create": ("get", MANAGER),
    "partner_edit": ("get", MANAGER),
    "partner_remove": ("post", MANAGER),
    "traffic_channels": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}),
    "partner_statistics": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}),
    "partner_booking_cancel": ("post", MANAGER),
    "partner_account": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}),
    "partner_account_pdf": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}),
    "partner_account_xlsx": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}),
    "cash_report": ("get", DESK | {Role.FINANCE}),
    "revenue_report": ("get", {Role.MANAGER, Role.FINANCE}),
    "unapplied_deposits_report": ("get", DESK | {Role.FINANCE}),
    "payment_receipt": ("get", DESK | {Role.FINANCE}),
    "deposit_receipt": ("get", DESK | {Role.FINANCE}),
    "deposit_return_receipt": ("get", DESK | {Role.FINANCE}),
    "visit_invoice": ("get", DESK | {Role.FINANCE}),
    "tax_certificate": ("get", DESK | {Role.FINANCE}),
}


def _names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def test_every_clinic_url_has_a_row_in_the_matrix():
    names = set(_names(get_resolver("clinic.urls").url_patterns))
    assert names - MATRIX.keys() == set(), "add the new URLs to MATRIX"
    assert MATRIX.keys() - names == set(), "remove URLs that no longer exist"


@pytest.fixture
def objects(tenant):
    from datetime import date

    from billing import services as billing
    from billing.models import Activity, Promotion
    from clinic.models import Absence

    practitioner = PractitionerFactory()
    appointment = AppointmentFactory(practitioner=practitioner)
    cashier = make_staff("manager")
    visit = billing.open_visit(patient=appointment.patient, location=appointment.location,
                               practitioner=practitioner, actor=cashier)
    line = billing.add_line(visit, service=ServiceFactory(), actor=cashier)
    payment = billing.take_payment(patient=appointment.patient, visit=visit, method="cash", amount="1",
                                   actor=cashier)
    deposit = billing.receive_deposit(patient=appointment.patient, amount="10", method="cash", actor=cashier)
    billing.refund_deposit(deposit, amount="1", reason="matrix", actor=cashier)
    from django.core.files.base import ContentFile

    from billing.barter.services import register_policy, save_agreement
    from billing.documents import deposit_returns

    agreement = save_agreement(None, actor=cashier, data={
        "kind": "company", "name": "Matrix Media", "overspend": "company", "valid_from": date(2020, 1, 1),
        "categories": [ServiceFactory().category]})
    agreement.document.save("signed.pdf", ContentFile(b"%PDF-1.4 signed"), save=True)
    policy = register_policy(agreement=agreement, patient=appointment.patient, number="X-1", limit="100",
                             actor=cashier)
    from billing.barter.services import write_off

    write_off(policy, actor=cashier, note="closed for the matrix")
    from partners.services import PartnerData, PartnerTerms, add_partner

    partnership = add_partner(PartnerData(name="Matrix Partner", registration_number="MX-1", kind="call_centre",
                                          contact_name="Mx", contact_email="mx@partner.example"),
                              PartnerTerms(location_ids=[LocationFactory().pk]), actor=cashier)
    from decimal import Decimal

    from partners.models import PartnerBooking

    partner_booking = PartnerBooking.objects.create(
        appointment=AppointmentFactory(), partnership=partnership, booked_by_id=0,
        booked_by_name="Mx", payment_place="clinic", value=Decimal("100.00"), currency="EUR")
    return {
        "partnership": partnership,
        "partner_booking": partner_booking,
        "policy": policy,
        "visit": visit,
        "line": line,
        "payment": payment,
        "deposit": deposit,
        "deposit_return": deposit_returns(deposit).get(),
        "activity": Activity.objects.create(patient=appointment.patient, kind="call", subject="Call back",
                                            due_date=date(2030, 1, 1), assignee=cashier),
        "promotion": Promotion.objects.create(name="Spring", kind="percent", value=10, valid_from=date(2030, 1, 1)),
        "patient": appointment.patient,
        "appointment": appointment,
        "location": LocationFactory(),
        "practitioner": practitioner,
        "service": ServiceFactory(),
        "absence": Absence.objects.create(practitioner=practitioner, starts_on=date(2030, 1, 1), ends_on=date(2030, 1, 2)),
        "staff": make_staff("doctor"),
    }


def _path(name, objects):
    from django.urls import reverse

    args = {
        "staff_edit": [objects["staff"].pk],
        "location_edit": [objects["location"].pk],
        "practitioner_detail": [objects["practitioner"].pk],
        "practitioner_edit": [objects["practitioner"].pk],
        "practitioner_hours": [objects["practitioner"].pk],
        "practitioner_breaks": [objects["practitioner"].pk],
        "absence_add": [objects["practitioner"].pk],
        "absence_remove": [objects["absence"].pk],
        "service_edit": [objects["service"].pk],
        "export_start": ["price_list"],
        "audit_trail": ["service", objects["service"].pk],
        "patient_detail": [objects["patient"].pk],
        "patient_edit": [objects["patient"].pk],
        "patient_flag": [objects["patient"].pk],
        "appointment_detail": [objects["appointment"].pk],
        "appointment_reschedule": [objects["appointment"].pk],
        "appointment_action": [objects["appointment"].pk, "confirm"],
        "patient_statement": [objects["patient"].pk],
        "cashier": [objects["patient"].pk],
        "deposit_new": [objects["patient"].pk],
        "visit_new": [objects["patient"].pk],
        "activity_new": [objects["patient"].pk],
        "appointment_quick": [objects["patient"].pk],
        "payment_refund": [objects["payment"].pk],
        "deposit_refund": [objects["deposit"].pk],
        "visit_detail": [objects["visit"].pk],
        "appointment_visit": [objects["appointment"].pk],
        "line_add": [objects["visit"].pk],
        "visit_close": [objects["visit"].pk],
        "line_void": [objects["line"].pk],
        "activity_finish": [objects["activity"].pk],
        "promotion_edit": [objects["promotion"].pk],
        "barter_policy": [objects["policy"].pk],
        "barter_policy_review": [objects["policy"].pk],
        "barter_policy_increase": [objects["policy"].pk],
        "barter_plan_item_add": [objects["policy"].pk],
        "barter_plan_approve": [objects["policy"].pk],
        "barter_plan_extra": [objects["policy"].pk],
        "barter_write_off": [objects["policy"].pk],
        "barter_write_off_document": [objects["policy"].pk],
        "barter_agreement_edit": [objects["policy"].agreement_id],
        "barter_agreement_document": [objects["policy"].agreement_id],
        "partner_edit": [objects["partnership"].pk],
        "partner_remove": [objects["partnership"].pk],
        "partner_booking_cancel": [objects["partner_booking"].pk],
        "partner_account": [objects["partnership"].pk],
        "partner_account_pdf": [objects["partnership"].pk],
        "partner_account_xlsx": [objects["partnership"].pk],
        "payment_receipt": [objects["payment"].pk],
        "deposit_receipt": [objects["deposit"].pk],
        "deposit_return_receipt": [objects["deposit"].pk, objects["deposit_return"].pk],
        "visit_invoice": [objects["visit"].pk],
        "tax_certificate": [objects["patient"].pk, 2024],
    }.get(name, [])
    return reverse(name, urlconf="clinic.urls", args=args)


CHECKED = [(name, role) for name, (method, _roles) in MATRIX.items() if method in {"get", "post"} for role in Role.values]


@pytest.mark.parametrize("name, role", CHECKED)
def test_role_is_allowed_or_refused(name, role, objects, client_for, django_capture_on_commit_callbacks):
    method, allowed = MATRIX[name]
    user = make_staff(role)
    client = client_for(user)
    path = _path(name, objects)
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(path)
    if role in allowed:
        assert response.status_code in {200, 302}, f"{role} should reach {name}"
        if response.status_code == 302:
            assert "/accounts/login/" not in response["Location"]
    else:
        assert response.status_code == 403, f"{role} must not reach {name}"


@pytest.mark.parametrize("name", [name for name, (method, _r) in MATRIX.items() if method in {"get", "post"}])
def test_anonymous_visitors_are_sent_to_the_login_page(name, objects, client_for):
    client = client_for(None)
    response = getattr(client, MATRIX[name][0])(_path(name, objects))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_without_any_role_sees_only_the_start_page(objects, client_for):
    client = client_for(make_staff(None))
    assert client.get("/").status_code == 200
    assert client.get("/services/").status_code == 403


def test_clinic_pages_are_not_on_the_public_host(client):
    assert client.get("/services/", HTTP_HOST="localhost").status_code == 404
    assert client.get("/operator/", HTTP_HOST="demo-not-here.localhost").status_code == 404
