"""The clinic's roles: Django groups with explicit permissions.

This table is the one place that says which role may do what; views check
permissions, never role names.
"""

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", _("Front desk")
    DOCTOR = "doctor", _("Doctor")
    MANAGER = "manager", _("Manager")
    MARKETING = "marketing", _("Marketing")
    SALES_HEAD = "sales_head", _("Sales head")
    FINANCE = "finance", _("Finance")


VIEW_MASTER_DATA = [
    "clinic.view_location",
    "clinic.view_practitioner",
    "clinic.view_service",
]

FRONT_DESK_WORK = [
    "patients.view_patient",
    "patients.add_patient",
    "patients.change_patient",
    "scheduling.view_calendar",
    "scheduling.view_appointment",
    "scheduling.add_appointment",
    "scheduling.change_appointment",
]
SEE_PATIENTS = ["patients.view_patient", "scheduling.view_calendar", "scheduling.view_appointment"]

# Visits and their lines: front desk and doctors record what was done.
VISIT_WORK = [
    "billing.view_visit",
    "billing.add_visit",
    "billing.change_visit",
    "billing.view_visitline",
    "billing.add_visitline",
]
CASHIER_WORK = [
    "billing.view_payment",
    "billing.add_payment",
    "billing.view_deposit",
    "billing.add_deposit",
    "billing.view_cash_report",
]
CRM_WORK = ["billing.view_activity", "billing.add_activity", "billing.change_activity"]
SEE_MONEY = [
    "billing.view_visit",
    "billing.view_visitline",
    "billing.view_payment",
    "billing.view_deposit",
    "billing.view_cash_report",
    "billing.view_revenue_report",
]
MANAGE_MONEY = [
    "billing.change_line_price",
    "billing.give_discount",
    "billing.void_visitline",
    "billing.refund_payment",
    "billing.refund_deposit",
]
PROMOTIONS = ["billing.view_promotion", "billing.add_promotion", "billing.change_promotion"]
# Marketing records barter companies, patients and limit increases; a manager reviews new patients.
BARTER_RECORDS = [
    "barter.view_agreement", "barter.add_agreement", "barter.change_agreement",
    "barter.view_policy", "barter.add_policy", "barter.change_policy", "barter.increase_limit",
]

# Partners: a manager adds them and sets their terms and traffic channels; the statistics and
# partner accounts are read by managers, marketing and finance.
PARTNER_STATISTICS = ["partners.view_partnership", "partners.view_partner_statistics"]
# Platform orders (seed 000): the front desk confirms, books, redeems and cancels them; a manager
# also imports orders, applies for platforms and sets the channels' inventory.
PLATFORM_ORDER_WORK = [
    "platforms.view_platformorder", "platforms.change_platformorder", "platforms.redeem_platformorder",
    "platforms.cancel_platformorder", "platforms.view_channelstock",
]
PLATFORM_ADMIN = ["platforms.import_platformorders", "platforms.change_channelstock", "platforms.manage_channels"]
# Monthly reconciliation (seed 000): managers and finance generate, import, resolve and verify.
RECONCILIATION_WORK = ["reconciliation.view_monthlystatement", "reconciliation.generate_statement",
                       "reconciliation.verify_statement", "reconciliation.view_settlementbatch",
                       "reconciliation.settle_platform"]
PARTNER_ADMIN = ["partners.add_partnership", "partners.change_partnership", "partners.cancel_partner_booking"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.MANAGER: [
        *VIEW_MASTER_DATA,
        *FRONT_DESK_WORK,
        "clinic.add_location",
        "clinic.change_location",
        "clinic.add_practitioner",
        "clinic.change_practitioner",
        "clinic.add_service",
        "clinic.change_service",
        "clinic.import_services",
        "clinic.export_services",
        "clinic.change_clinic_settings",
        "clinic.manage_staff",
        "clinic.view_audit_trail",
        *VISIT_WORK,
        *CASHIER_WORK,
        *CRM_WORK,
        *SEE_MONEY,
        *MANAGE_MONEY,
        *PROMOTIONS,
        *BARTER_RECORDS,
        "barter.review_policy",
        "barter.view_treatmentplan", "barter.add_treatmentplan", "barter.change_treatmentplan",
        "barter.approve_plan", "barter.approve_extra", "barter.view_writeoff", "barter.add_writeoff",
        *PARTNER_STATISTICS, *PARTNER_ADMIN, "billing.view_counterparty",
        *PLATFORM_ORDER_WORK, *PLATFORM_ADMIN, *RECONCILIATION_WORK,
    ],
    Role.FRONT_DESK: [
        *VIEW_MASTER_DATA, *FRONT_DESK_WORK, *VISIT_WORK, *CASHIER_WORK, *CRM_WORK, "barter.view_agreement",
        "barter.view_policy", *PLATFORM_ORDER_WORK,
    ],
    # Doctors see their calendar and patients, move a treatment along and record what they did.
    Role.DOCTOR: [
        *VIEW_MASTER_DATA, *SEE_PATIENTS, "patients.change_patient", "scheduling.change_appointment",
        *VISIT_WORK, *CRM_WORK,
        # A doctor drafts a public person's treatment plan against the barter policy.
        "barter.view_agreement", "barter.view_policy",
        "barter.view_treatmentplan", "barter.add_treatmentplan", "barter.change_treatmentplan",
    ],
    Role.MARKETING: [*VIEW_MASTER_DATA, *SEE_PATIENTS, "clinic.export_services", *CRM_WORK, *PROMOTIONS,
                     *BARTER_RECORDS, "barter.view_treatmentplan", "barter.approve_plan", *PARTNER_STATISTICS],
    Role.SALES_HEAD: [*VIEW_MASTER_DATA, *SEE_PATIENTS, "clinic.export_services", "billing.view_promotion",
                      "barter.view_agreement", "barter.view_policy", "barter.view_treatmentplan",
                      "barter.approve_extra"],
    Role.FINANCE: [
        *VIEW_MASTER_DATA, *SEE_PATIENTS, "clinic.export_services", "clinic.view_audit_trail",
        *SEE_MONEY, "billing.refund_payment", "billing.refund_deposit", "billing.void_visitline",
        "barter.view_agreement", "barter.view_policy", "barter.view_treatmentplan", "barter.view_writeoff",
        "barter.add_writeoff", *PARTNER_STATISTICS,
        # Receivables: what platforms, barter companies and partners owe; finance settles them.
        "billing.view_counterparty", "billing.settle_counterparty",
        "platforms.view_platformorder", "platforms.view_channelstock", *RECONCILIATION_WORK,
    ],
}


def role_label(name: str) -> str:
    try:
        return Role(name).label
    except ValueError:
        return name


def _permissions(codes: list[str]):
    query = Q()
    for code in codes:
        app_label, codename = code.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query).select_related("content_type"))
    missing = set(codes) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise LookupError(f"Unknown permissions in ROLE_PERMISSIONS: {sorted(missing)}")
    return found


def sync_roles(*, create_missing_permissions: bool = True) -> None:
    """Create or update the role groups of the current clinic schema (idempotent).

    After a migration Django has just created every permission; elsewhere
    they are created first if missing.
    """
    if create_missing_permissions:
        from django.apps import apps
        from django.contrib.auth.management import create_permissions

        for app_config in apps.get_app_configs():
            create_permissions(app_config, verbosity=0)
    for role, codes in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = {p.pk for p in _permissions(codes)}
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(wanted)
