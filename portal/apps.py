from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The partner portal, a door on the public host above the partner apps: login, registration,
    invitations, users, the clinics' calendars and booking, the company's bookings and account."""

    name = "portal"
    verbose_name = _("Partner portal")

    def ready(self):
        from clinic.context_processors import register_door

        from .navigation import portal_items

        register_door("/portal/", "portal", portal_items)
