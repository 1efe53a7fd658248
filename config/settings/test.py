from .base import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 3
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
# Tests run tasks in-process; the worker test switches this off to use a real worker.
CELERY_TASK_ALWAYS_EAGER = True
