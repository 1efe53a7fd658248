from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (label, url name, permission or None, icon); shown when the user holds the permission.
CLINIC_NAVIGATION = [
    (_("Today"), "home", None, "house"),
    (_("Calendar"), "calendar_day", "scheduling.view_calendar", "calendar3"),
    (_("Reception"), "reception", "scheduling.view_appointment", "person-check"),
    (_("Patients"), "patient_list", "patients.view_patient", "people-fill"),
    (_("My tasks"), "my_tasks", "billing.view_activity", "check2-square"),
    (_("Price list"), "service_list", "clinic.view_service", "list-ul"),
    (_("Promotions"), "promotion_list", "billing.view_promotion", "percent"),
    (_("Barter"), "barter_policies", "barter.view_policy", "arrow-left-right"),
    (_("Partners"), "partner_list", "partners.view_partnership", "diagram-3"),
    (_("Reports"), "cash_report", "billing.view_cash_report", "graph-up"),
    (_("Practitioners"), "practitioner_list", "clinic.view_practitioner", "person-badge"),
    (_("Locations"), "location_list", "clinic.view_location", "geo-alt"),
    (_("Staff"), "staff_list", "clinic.manage_staff", "people"),
    (_("Settings"), "settings", "clinic.change_clinic_settings", "gear"),
]


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
        for label, name, perm, icon in CLINIC_NAVIGATION:
            if perm is None or user.has_perm(perm):
                url = reverse(name)
                items.append({"label": label, "url": url, "icon": icon, "active": _same_section(request.path, url)})
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
