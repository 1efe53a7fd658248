"""The operator console's menu (the navigation context processor shows it on /operator/)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

OPERATOR_NAVIGATION = [
    (_("Clinics"), "operator_clinics", "building"),
    (_("Platforms"), "operator_platforms", "shop"),
    (_("Enrolments"), "operator_enrolments", "person-check"),
]


def operator_items(request, user) -> list[dict]:
    from clinic.accounts import two_factor

    # No menu before the second factor: every entry would send the operator back to it.
    if not getattr(user, "is_operator", False) or two_factor.next_step(request) is not None:
        return []
    items = []
    for label, name, icon in OPERATOR_NAVIGATION:
        url = reverse(name)
        active = request.path == url if name == "operator_clinics" else request.path.startswith(url)
        if name == "operator_platforms":
            active = active or request.path.startswith("/operator/products/")
        items.append({"label": label, "url": url, "icon": icon, "active": active})
    return items
