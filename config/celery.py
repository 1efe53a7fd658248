"""The Celery app: every task carries its clinic's schema in a message header.

Without REDIS_URL tasks run in-process (``task_always_eager``).
"""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
