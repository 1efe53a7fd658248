"""Response headers every door (clinic, portal, operator) sends."""

from django.conf import settings
from django.utils.cache import patch_cache_control


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response, and ``Cache-Control: no-store`` on every page
    and file the application renders: they show patients and money, and a shared or
    back-button cache must not keep them. Static files never reach this middleware
    (WhiteNoise answers them first) and keep their long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if request.path != "/healthz":
            patch_cache_control(response, no_store=True, private=True)
        return response
