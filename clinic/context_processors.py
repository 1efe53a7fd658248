from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (label, url name, permission or None, icon, group); shown when the user holds the permission.
# The day's work stays in the bar; the rest is grouped under a menu per group, so the bar
# fits at 1280 px in every language for every role (a group of one is shown as its item).
CLINIC_NAVIGATION = [
    (_("Today"), "home", None, "house", None),
    (_("Calendar"), "calendar_day", "scheduling.view_calendar", "calendar3", None),
    (_("Reception"), "reception", "scheduling.view_appointment", "person-check", None),
    (_("Patients"), "patient_list", "patients.view_patient", "people-fill", None),
    (_("My tasks"), "my_tasks", "billing.view_activity", "check2-square", None),
    (_("Reports"), "cash_report", "billing.view_cash_report", "graph-up", "money"),
    (_("Promotions"), "promotion_list", "billing.view_promotion", "percent", "money"),
    (_("Barter"), "barter_policies", "barter.view_policy", "arrow-left-right", "money"),
    (_("Partners"), "partner_list", "partners.view_partnership", "diagram-3", "money"),
    (_("Value-added services"), "channel_list", "platforms.view_channelstock", "shop", "money"),
    (_("Reconciliation"), "reconciliation:statements", "reconciliation.view_monthlystatement", "journal-check",
     "money"),
    (_("Import platform orders"), "platform_order_import", "platforms.import_platformorders", "upload", "money"),
    (_("Settlement"), "settlement_home", "reconciliation.view_settlementbatch", "bank", "money"),
    (_("Price list"), "service_list", "clinic.view_service", "list-ul", "clinic"),
    (_("Practitioners"), "practitioner_list", "clinic.view_practitioner", "person-badge", "clinic"),
    (_("Locations"), "location_list", "clinic.view_location", "geo-alt", "clinic"),
    (_("Staff"), "staff_list", "clinic.manage_staff", "people", "clinic"),
    (_("Settings"), "settings", "clinic.change_clinic_settings", "gear", "clinic"),
]
NAVIGATION_GROUPS = {
    "money": (_("Money and channels"), "cash-stack"),
    "clinic": (_("Clinic"), "building"),
}


def _grouped(items: list[dict]) -> list[dict]:
    """Items of a group under one entry with ``children`` (in the group's first place)."""
    grouped: list[dict] = []
    groups: dict[str, dict] = {}
    for item in items:
        key = item.pop("group", None)
        if key is None:
            grouped.append(item)
            continue
        if key not in groups:
            label, icon = NAVIGATION_GROUPS[key]
            groups[key] = {"label": label, "icon": icon, "key": key, "children": [], "active": False}
            grouped.append(groups[key])
        groups[key]["children"].append(item)
        groups[key]["active"] = groups[key]["active"] or item["active"]
    return [entry["children"][0] if len(entry.get("children", [None, None])) == 1 else entry for entry in grouped]


# Other doors on the public host bring their own menu: path prefix -> (door, items(request, user)),
# registered from their app's ready() (the partner portal: partners.organisations).
DOORS: dict[str, tuple[str, Callable]] = {}


def register_door(prefix: str, door: str, items: Callable) -> None:
    DOORS[prefix] = (door, items)


def _same_section(path: str, url: str) -> bool:
    """The entry of the page's section: /reports/revenue/ belongs to Reports (/reports/cash/)."""
    if url == "/":
        return path == "/"
    return path.split("/")[1] == url.split("/")[1]


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if getattr(request, "is_clinic_site", False) and user is not None and user.is_authenticated:
        for label, name, perm, icon, group in CLINIC_NAVIGATION:
            if perm is None or user.has_perm(perm):
                url = reverse(name)
                items.append({"label": label, "url": url, "icon": icon, "group": group,
                              "active": _same_section(request.path, url)})
        items = _grouped(items)
    if getattr(request, "is_clinic_site", False):
        door = "clinic"
    else:
        door = "operator"
        for prefix, (name, door_items) in DOORS.items():
            if request.path.startswith(prefix):
                door = name
                if user is not None and user.is_authenticated:
                    items = door_items(request, user)
                break
    return {
        "door": door,
        "navigation": items,
        "clinic": getattr(request, "tenant", None) if getattr(request, "is_clinic_site", False) else None,
        "languages": settings.LANGUAGES,
    }
