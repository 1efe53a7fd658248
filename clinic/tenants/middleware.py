import threading
import time
import zoneinfo

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import timezone, translation
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name


class HealthCheckMiddleware:
    """Answer /healthz on any host name, before host checks and tenant routing.

    Load balancers probe by address; they must not need a clinic's domain.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            from .health import health_report

            # ?skip=worker: the container's own liveness check (the worker starts after the web is up).
            report, healthy = health_report(skip=set(request.GET.getlist("skip")))
            return JsonResponse(report, status=200 if healthy else 503)
        return self.get_response(request)


# hostname -> (expires at, clinic). Saving a clinic or a domain clears it in this
# process; other processes see the change within TENANT_CACHE_SECONDS.
TENANT_CACHE_SECONDS = 30
_tenants: dict[str, tuple[float, object]] = {}
_tenants_lock = threading.Lock()


def forget_tenants(**kwargs) -> None:
    with _tenants_lock:
        _tenants.clear()


class ClinicTenantMiddleware(TenantMainMiddleware):
    """Route by host name; an unknown host (or the template schema) gets a plain 404 page.

    The host -> clinic lookup is cached briefly: without it every request pays a
    query for it, more than the rest of the routing together.
    """

    def no_tenant_found(self, request, hostname):
        return render(request, "404_unknown_host.html", {"hostname": hostname}, status=404)

    def get_tenant(self, domain_model, hostname):
        now = time.monotonic()
        cached = _tenants.get(hostname)
        if cached is not None and cached[0] > now:
            tenant = cached[1]
        else:
            tenant = super().get_tenant(domain_model, hostname)
            with _tenants_lock:
                _tenants[hostname] = (now + TENANT_CACHE_SECONDS, tenant)
        if tenant.is_template:
            raise domain_model.DoesNotExist
        return tenant


class ClinicLocaleMiddleware(LocaleMiddleware):
    """Language: the switcher's cookie, else the clinic's default language.

    Also activates the clinic's time zone, so dates are shown and entered in it.
    """

    def process_request(self, request):
        tenant = getattr(request, "tenant", None)
        is_clinic = tenant is not None and tenant.schema_name != get_public_schema_name()
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = tenant.default_language if is_clinic else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        if is_clinic:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tenant.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        request.is_clinic_site = is_clinic
        request.schema_name = connection.schema_name
