from tenant_schemas_celery.scheduler import TenantAwareScheduler

from .models import Clinic


class ClinicScheduler(TenantAwareScheduler):
    """Periodic tasks run once per real clinic: never for the template schema."""

    @classmethod
    def get_queryset(cls):
        return Clinic.objects.exclude(is_template=True)
