"""The partner portal's menu (the navigation context processor shows it on /portal/)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The partner portal: (label, url name, the member's permission or None, icon).
PORTAL_NAVIGATION = [
    (_("Clinics"), "portal_home", None, "building"),
    (_("Book"), "portal_book", "can_book", "calendar-plus"),
    (_("Calendars"), "portal_book", "!can_book", "calendar3"),  # who may not book still sees them
    (_("Bookings"), "portal_bookings", None, "list-check"),
    (_("Account"), "portal_account", "sees_finance", "cash-coin"),
    (_("Users"), "portal_users", "manages_users", "people"),
]


def portal_items(request, user) -> list[dict]:
    from partners.organisations.services import membership_of

    membership = membership_of(user)
    if membership is None or user.must_change_password:
        return []
    items = []
    for label, name, permission, icon in PORTAL_NAVIGATION:
        if permission is None or (not getattr(membership, permission[1:]) if permission.startswith("!")
                                  else getattr(membership, permission)):
            url = reverse(name)
            items.append({"label": label, "url": url, "icon": icon,
                          "active": request.path == url if name == "portal_home" else request.path.startswith(url)})
    return items
