"""Every URL of the clinic site, walked with every role: allowed or refused.

A URL added to config/urls.py without a row here fails the first test.
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
RECONCILING = {Role.MANAGER, Role.FINANCE}

# What an allowed role gets: the page itself, or a redirect to another page of the clinic
# (a POST without data), given as the url name and the keys of the objects its arguments are
# (see the ``objects`` fixture; "export" is the export the request has just started).
OK = 200


def to(name, *keys):
    return (302, name, keys)


# url name -> (method, roles allowed, what an allowed role gets); "anyone" pages need no login at all.
MATRIX = {
    "home": ("get", ALL, OK),
    "set_language": ("anyone", None, None),
    "favicon": ("anyone", None, None),
    "accounts:login": ("anyone", None, None),
    "accounts:logout": ("anyone", None, None),
    "accounts:password_reset": ("anyone", None, None),
    "accounts:password_reset_done": ("anyone", None, None),
    "accounts:password_reset_confirm": ("anyone", None, None),
    "accounts:password_reset_complete": ("anyone", None, None),
    "accounts:password_change": ("get", ALL, OK),
    # Each signed-in person's own second factor (tests/security/test_two_factor.py).
    "accounts:two_factor": ("get", ALL, to("home")),  # nothing to verify: sent on
    "accounts:two_factor_setup": ("get", ALL, OK),
    "settings": ("get", MANAGER, OK),
    "staff_list": ("get", MANAGER, OK),
    "staff_create": ("get", MANAGER, OK),
    "staff_edit": ("get", MANAGER, OK),
    "location_list": ("get", ALL, OK),
    "location_create": ("get", MANAGER, OK),
    "location_edit": ("get", MANAGER, OK),
    "practitioner_list": ("get", ALL, OK),
    "practitioner_create": ("get", MANAGER, OK),
    "practitioner_detail": ("get", ALL, OK),
    "practitioner_edit": ("get", MANAGER, OK),
    "practitioner_hours": ("get", MANAGER, OK),
    "practitioner_breaks": ("get", MANAGER, OK),
    "absence_add": ("post", MANAGER, to("practitioner_detail", "practitioner")),
    "absence_remove": ("post", MANAGER, to("practitioner_detail", "practitioner")),
    "service_list": ("get", ALL, OK),
    "service_create": ("get", MANAGER, OK),
    "service_edit": ("get", MANAGER, OK),
    "service_import": ("get", MANAGER, OK),
    "platform_order_import": ("get", MANAGER, OK),
    "export_start": ("post", EXPORTERS, to("export_status", "export")),
    # Exports belong to whoever started them: see test_exports.py.
    "export_status": ("owner", None, None),
    "export_download": ("owner", None, None),
    "export_retry": ("owner", None, None),  # tests/reliability/test_exports.py
    "audit_trail": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "patient_list": ("get", ALL, OK),
    "patient_create": ("get", DESK, OK),
    "patient_pick": ("get", ALL, OK),
    "patient_detail": ("get", ALL, OK),
    "patient_edit": ("get", DESK | {Role.DOCTOR}, OK),
    "patient_flag": ("post", DESK | {Role.DOCTOR}, to("patient_detail", "patient")),
    "calendar_day": ("get", ALL, OK),
    "calendar_week": ("get", ALL, OK),
    "reception": ("get", ALL, OK),
    "free_slots": ("get", ALL, OK),
    "appointment_new": ("get", DESK, OK),
    "appointment_detail": ("get", ALL, OK),
    "appointment_visit": ("post", DESK | {Role.DOCTOR}, to("appointment_detail", "appointment")),
    "appointment_reschedule": ("post", DESK | {Role.DOCTOR}, to("appointment_detail", "appointment")),
    "appointment_action": ("post", DESK | {Role.DOCTOR}, to("appointment_detail", "appointment")),
    "patient_statement": ("get", DESK | {Role.DOCTOR, Role.FINANCE}, OK),
    "cashier": ("get", DESK, OK),
    "deposit_new": ("get", DESK, OK),
    "visit_new": ("get", DESK | {Role.DOCTOR}, OK),
    "activity_new": ("get", DESK | {Role.DOCTOR, Role.MARKETING}, OK),
    "appointment_quick": ("get", DESK, OK),
    "payment_refund": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "deposit_refund": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "visit_detail": ("get", DESK | {Role.DOCTOR, Role.FINANCE}, OK),
    "line_add": ("post", DESK | {Role.DOCTOR}, OK),
    "visit_close": ("post", DESK | {Role.DOCTOR}, to("visit_detail", "visit")),
    "line_void": ("post", {Role.MANAGER, Role.FINANCE}, to("visit_detail", "visit")),
    "my_tasks": ("get", DESK | {Role.DOCTOR, Role.MARKETING}, OK),
    "activity_finish": ("post", DESK | {Role.DOCTOR, Role.MARKETING}, to("my_tasks")),
    "promotion_list": ("get", {Role.MANAGER, Role.MARKETING, Role.SALES_HEAD}, OK),
    "promotion_create": ("get", {Role.MANAGER, Role.MARKETING}, OK),
    "promotion_edit": ("get", {Role.MANAGER, Role.MARKETING}, OK),
    "club_settings": ("get", MANAGER, OK),
    "barter_policies": ("get", ALL, OK),
    "barter_policy_create": ("get", {Role.MANAGER, Role.MARKETING}, OK),
    "barter_employees_create": ("get", {Role.MANAGER, Role.MARKETING}, OK),
    "barter_patient_policies": ("get", ALL, OK),
    "barter_policy": ("get", ALL, OK),
    "barter_policy_review": ("post", MANAGER, to("barter_policy", "policy")),
    "barter_policy_increase": ("post", {Role.MANAGER, Role.MARKETING}, to("barter_policy", "policy")),
    "barter_plan_item_add": ("post", {Role.MANAGER, Role.DOCTOR}, to("barter_policy", "policy")),
    "barter_plan_approve": ("post", {Role.MANAGER, Role.MARKETING}, to("barter_policy", "policy")),
    "barter_plan_extra": ("post", {Role.MANAGER, Role.SALES_HEAD}, to("barter_policy", "policy")),
    "barter_write_off": ("post", {Role.MANAGER, Role.FINANCE}, to("barter_policy", "policy")),
    "barter_write_off_document": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "barter_agreements": ("get", ALL, OK),
    "barter_report": ("get", ALL, OK),
    "barter_agreement_create": ("get", {Role.MANAGER, Role.MARKETING}, OK),
    "barter_agreement_edit": ("get", {Role.MANAGER, Role.MARKETING}, OK),
    "barter_agreement_document": ("get", ALL, OK),
    "partner_list": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}, OK),
    "partner_create": ("get", MANAGER, OK),
    "partner_edit": ("get", MANAGER, OK),
    "partner_remove": ("post", MANAGER, to("partner_list")),
    "traffic_channels": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}, OK),
    "partner_statistics": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}, OK),
    "partner_booking_cancel": ("post", MANAGER, to("partner_statistics")),
    "partner_account": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}, OK),
    "partner_account_pdf": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}, OK),
    "partner_account_xlsx": ("get", {Role.MANAGER, Role.MARKETING, Role.FINANCE}, OK),
    "cash_report": ("get", DESK | {Role.FINANCE}, OK),
    "revenue_report": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "unapplied_deposits_report": ("get", DESK | {Role.FINANCE}, OK),
    "payment_receipt": ("get", DESK | {Role.FINANCE}, OK),
    "deposit_receipt": ("get", DESK | {Role.FINANCE}, OK),
    "deposit_return_receipt": ("get", DESK | {Role.FINANCE}, OK),
    "visit_invoice": ("get", DESK | {Role.FINANCE}, OK),
    "tax_certificate": ("get", DESK | {Role.FINANCE}, OK),
    "line_payer": ("post", DESK | {Role.DOCTOR}, to("visit_detail", "visit")),
    "receivables": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "counterparty_detail": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "counterparty_statement_file": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    # An empty transfer form comes back with its errors.
    "counterparty_receipt": ("post", {Role.FINANCE}, 422),
    "receipt_allocate": ("post", {Role.FINANCE}, to("counterparty_detail", "counterparty")),
    "allocation_undo": ("post", {Role.FINANCE}, to("counterparty_detail", "counterparty")),
    # Value-added services: everyone who works with platform orders looks; a manager applies and sets stock.
    "channel_list": ("get", DESK | {Role.FINANCE}, OK),
    "channel_detail": ("get", DESK | {Role.FINANCE}, OK),
    "channel_product_pdf": ("get", DESK | {Role.FINANCE}, OK),
    "channel_apply": ("post", MANAGER, to("channel_list")),
    "channel_stock": ("post", MANAGER, to("channel_detail", "channel")),
    # Redeeming at the visit: the front desk and managers; the X-ray is seen by whoever sees orders.
    "platform_order_image": ("get", DESK | {Role.FINANCE}, OK),
    "platform_order_image_upload": ("post", DESK, 404),  # reached, but no visit was named
    "platform_order_redeem": ("post", DESK, 404),  # reached, but no visit was named
    # Platform orders at the front desk; finance reads them.
    "platform_order_list": ("get", DESK | {Role.FINANCE}, OK),
    "platform_orders_awaiting": ("get", DESK | {Role.FINANCE}, OK),
    # Answers everyone: a signed-out page stops polling (HTTP 286); a role without the permission
    # gets 403 (tests/platforms/test_confirm_orders.py).
    "platform_order_badge": ("anyone", None, None),
    "platform_order_detail": ("get", DESK | {Role.FINANCE}, OK),
    "platform_order_slots": ("get", DESK, OK),
    "platform_order_confirm": ("get", DESK, OK),
    "platform_order_bind": ("get", DESK, OK),
    "platform_order_reconfirm": ("get", DESK, OK),
    "platform_order_cancel": ("get", DESK, OK),
    # Monthly reconciliation (tests/reconciliation/test_views.py); without data a form is sent back.
    "reconciliation:statements": ("get", RECONCILING, OK),
    "reconciliation:statement_generate": ("post", RECONCILING, to("reconciliation:statements")),
    "reconciliation:statement_generation": ("get", RECONCILING, 404),  # the progress of no generation
    "reconciliation:statement_detail": ("get", RECONCILING, OK),
    "reconciliation:statement_import": ("get", RECONCILING, OK),
    "reconciliation:statement_import_mapping": ("post", RECONCILING, to("reconciliation:statement_import", "statement")),
    "reconciliation:statement_verify": ("post", RECONCILING, to("reconciliation:statement_detail", "statement")),
    "reconciliation:statement_unverify": ("post", RECONCILING, to("reconciliation:statement_detail", "statement")),
    "reconciliation:difference_resolve": ("post", RECONCILING, to("reconciliation:statement_detail", "statement")),
    "reconciliation:channel_report": ("get", RECONCILING, OK),
    "reconciliation:report_preset_save": ("post", RECONCILING, to("reconciliation:channel_report")),
    "reconciliation:report_preset_delete": ("post", RECONCILING, to("reconciliation:channel_report")),
    # Quarterly settlement (reconciliation.settlement_views); an empty shop order comes back with its error.
    "settlement_home": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "settlement_start": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "settlement_summary_pdf": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "shop_vouchers": ("get", {Role.MANAGER, Role.FINANCE}, OK),
    "shop_order": ("post", {Role.MANAGER, Role.FINANCE}, 422),
}


def _names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def test_every_clinic_url_has_a_row_in_the_matrix():
    names = set(_names(get_resolver("config.urls").url_patterns))
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
    from billing.counterparties import record_receipt
    from billing.models import Allocation

    receipt = record_receipt(agreement.counterparty, amount="5", currency="EUR", received_on=date(2024, 1, 2),
                             reference="MX-TR", actor=cashier, allocate_oldest_first=False)
    allocation = Allocation.objects.create(receipt=receipt, payer=policy.payer, amount=Decimal("1.00"))
    from types import SimpleNamespace

    from django.utils import timezone

    from reconciliation.models import SettlementBatch
    from tests.platform_factories import PlatformFactory, enrol, product_with

    platform = PlatformFactory(code="matrix-channel")
    enrol(tenant, platform)
    settlement_batch = SettlementBatch.objects.create(
        platform=platform, quarter=date(2030, 4, 1), currency="EUR", proposed_at=timezone.now(),
        status="voucher_issued", method="voucher", amount=Decimal("10.00"), payout=Decimal("10.00"),
        voucher_code="VMATRIX")
    from django.core.files.base import ContentFile

    from tests.factories import png_image
    from tests.platform_factories import make_order

    order = make_order(product_with({"CON-02": 1}, platform=platform), status="confirmed",
                       patient=appointment.patient)
    order.image.save("xray.png", ContentFile(png_image()), save=True)
    from django.utils import timezone

    from reconciliation.models import Difference, MonthlyStatement, PlatformStatement, ReportPreset
    from tests.platform_factories import PlatformFactory

    statement = MonthlyStatement.objects.create(platform=PlatformFactory(), month=date(2030, 3, 1), currency="EUR",
                                                generated_at=timezone.now())
    upload = PlatformStatement.objects.create(statement=statement, file_name="m.xlsx", imported_at=timezone.now())
    difference = Difference.objects.create(statement=statement, platform_statement=upload, category="clinic_only",
                                           order_number="MX-9", clinic_amount=Decimal("1.00"))
    return {
        "statement": statement,
        "difference": difference,
        "preset": ReportPreset.objects.create(name="Matrix", columns=["patient"]),
        "platform": platform,
        "settlement_batch": settlement_batch,
        "platform_order": order,
        # A channel is named by its platform's code in its URLs.
        "channel": SimpleNamespace(pk=platform.code),
        "channel_product": product_with({"CON-01": 1}, platform=platform),
        "applied_channel": SimpleNamespace(pk=PlatformFactory(code="matrix-apply").code),
        "counterparty": agreement.counterparty,
        "receipt": receipt,
        "allocation": allocation,
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
        "line_payer": [objects["line"].pk],
        "counterparty_detail": [objects["counterparty"].pk],
        "settlement_start": [objects["platform"].pk],
        "settlement_summary_pdf": [objects["settlement_batch"].pk],
        "counterparty_statement_file": [objects["counterparty"].pk, "pdf"],
        "counterparty_receipt": [objects["counterparty"].pk],
        "receipt_allocate": [objects["receipt"].pk],
        "allocation_undo": [objects["allocation"].pk],
        "channel_detail": [objects["channel"].pk],
        "channel_product_pdf": [objects["channel"].pk, objects["channel_product"].pk],
        "channel_apply": [objects["applied_channel"].pk],
        "channel_stock": [objects["channel"].pk, objects["channel_product"].pk],
        "platform_order_image": [objects["platform_order"].pk],
        "platform_order_image_upload": [objects["platform_order"].pk],
        "platform_order_redeem": [objects["platform_order"].pk],
        "platform_order_detail": [objects["platform_order"].pk],
        "platform_order_slots": [objects["platform_order"].pk],
        "platform_order_confirm": [objects["platform_order"].pk],
        "platform_order_bind": [objects["platform_order"].pk],
        "platform_order_reconfirm": [objects["platform_order"].pk],
        "platform_order_cancel": [objects["platform_order"].pk],
        "reconciliation:statement_detail": [objects["statement"].pk],
        "reconciliation:statement_import": [objects["statement"].pk],
        "reconciliation:statement_import_mapping": [objects["statement"].pk],
        "reconciliation:statement_verify": [objects["statement"].pk],
        "reconciliation:statement_unverify": [objects["statement"].pk],
        "reconciliation:difference_resolve": [objects["difference"].pk],
        "reconciliation:report_preset_delete": [objects["preset"].pk],
    }.get(name, [])
    return reverse(name, urlconf="config.urls", args=args)


CHECKED = [(name, role) for name, (method, *_rest) in MATRIX.items() if method in {"get", "post"} for role in Role.values]


def _expected_location(answer, objects, user):
    from django.urls import reverse

    from clinic.exports.models import Export

    _status, name, keys = answer
    found = dict(objects)
    if "export" in keys:
        found["export"] = Export.objects.get(created_by=user)
    return reverse(name, urlconf="config.urls", args=[found[key].pk for key in keys])


@pytest.mark.parametrize("name, role", CHECKED)
def test_role_is_allowed_or_refused(name, role, objects, client_for, django_capture_on_commit_callbacks):
    method, allowed, answer = MATRIX[name]
    user = make_staff(role)
    client = client_for(user)
    path = _path(name, objects)
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(path)
    if role in allowed:
        if isinstance(answer, int):
            assert response.status_code == answer, f"{role} should get {answer} from {name}"
        else:
            assert response.status_code == 302, f"{role} should be sent on from {name}"
            assert response["Location"] == _expected_location(answer, objects, user)
    else:
        assert response.status_code == 403, f"{role} must not reach {name}"


@pytest.mark.parametrize("name", [name for name, (method, *_rest) in MATRIX.items() if method in {"get", "post"}])
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
