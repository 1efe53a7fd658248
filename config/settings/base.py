"""Settings shared by every environment; values come from the environment.

Without DATABASE_URL the embedded PostgreSQL of ``clinic.embedded_db`` is used
(started by ``make demo`` / ``make test``); without REDIS_URL Celery tasks run
in-process and the cache is local memory.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from clinic import embedded_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", False)
# ".localhost" covers every clinic at <slug>.localhost without DNS set-up.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ".localhost,localhost,127.0.0.1,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://*.localhost:8000,http://localhost:8000")

# The public domain serves the landing page, the operator console and the partner portal.
PUBLIC_DOMAIN = os.environ.get("PUBLIC_DOMAIN", "localhost")

SHARED_APPS = [
    "django_tenants",
    "clinic.tenants",
    "clinic.accounts",
    "partners.organisations",
    "platforms.catalogue",
    "reconciliation.payouts",
    "clinic.reliability",
    "portal",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "auditlog",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    # A staff member's authenticator lives beside them, in the clinic's schema.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "auditlog",
    "clinic.accounts",
    "clinic",
    "clinic.patients",
    "clinic.scheduling",
    "clinic.exports",
    "partners",
    "billing",
    "billing.barter",
    "platforms",
    "reconciliation",
]

# The project package is an app only for its demo command (seed_demo); it has no models.
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS] + ["config"]

TENANT_MODEL = "tenants.Clinic"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New clinics are cloned from this schema instead of replaying every migration.
TENANT_BASE_SCHEMA = "clinic_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# django-tenants sends `SET search_path` once per schema change on a connection, not before
# every statement (half of a request's statements were these). Safe with django-tenants 4:
# switching tenants, a rollback (to a savepoint too: PostgreSQL undoes a SET there) and a new
# connection all make it send the SET again. Code that sets search_path by hand must forget
# the connection's (connection.search_path_set_schemas = None) or switch schemas after, as
# clinic.tenants.cloning does.
TENANT_LIMIT_SET_CALLS = True
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False

MIDDLEWARE = [
    "clinic.tenants.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clinic.tenants.middleware.ClinicTenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "clinic.tenants.middleware.ClinicLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "clinic.security.SecurityHeadersMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Axes must come last: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.navigation",
            ],
            # The |date filter that shows Solar Hijri dates when the clinic chose them.
            "builtins": ["clinic.templatetags.calendars"],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or embedded_db.socket_url(BASE_DIR),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A stalled or unreachable PostgreSQL must not hold a request for ever: connecting gives
# up after DB_CONNECT_TIMEOUT seconds, a statement after DB_STATEMENT_TIMEOUT_MS (0: none;
# long migrations may need it raised for their run).
DB_CONNECT_TIMEOUT = int(os.environ.get("DB_CONNECT_TIMEOUT", "5"))
DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "30000"))
# PostgreSQL's JIT compiles a plan's expressions when its estimated cost is high: worth it for
# an analytical query of minutes, never for a request (the year's partner statistics spent
# 1.7 s of their 1.9 s compiling). DB_JIT=on gives it back.
DB_JIT = os.environ.get("DB_JIT", "off")
DATABASES["default"].setdefault("OPTIONS", {}).update({
    "connect_timeout": DB_CONNECT_TIMEOUT,
    "options": f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS} -c jit={DB_JIT}",
})
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2 first (Django's recommendation): memory-hard and, at its defaults,
# quicker per login than PBKDF2's million rounds; older hashes still verify.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Session cookies stay host-only (no SESSION_COOKIE_DOMAIN): a session of one
# clinic is never sent to, nor stored in, another clinic's schema.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12

# Failed logins: five tries per user name and address, then a 15-minute pause.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# The lockout keys the normalised address: every capitalisation shares the same tries.
AXES_USERNAME_CALLABLE = "clinic.accounts.identity.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("ru", _("Russian")),
    ("ro", _("Romanian")),
    ("fa", _("Persian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Number formats Django's own locales lack (Persian thousands grouping).
FORMAT_MODULE_PATH = ["clinic.formats"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (development, tests) WhiteNoise reads the source folders.
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", False)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
# Files are served only through authorising views, never by URL.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Clinic Channels <no-reply@localhost>")

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "clinic.tenants.scheduler:ClinicScheduler"
# A broker that does not answer is given up quickly: the outbox keeps the task and retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The outbox relay (and the worker's heartbeat) runs this often; /healthz calls the worker
# down when its last heartbeat is older than HEALTH_WORKER_MAX_AGE seconds.
OUTBOX_RELAY_SECONDS = int(os.environ.get("OUTBOX_RELAY_SECONDS", "10"))
HEALTH_WORKER_MAX_AGE = int(os.environ.get("HEALTH_WORKER_MAX_AGE", "60"))
# Long work (exports): a run holds a lease it renews while it makes progress; a run whose
# worker vanished is taken over once the lease expires, at most EXPORT_MAX_ATTEMPTS times.
EXPORT_LEASE_SECONDS = int(os.environ.get("EXPORT_LEASE_SECONDS", "120"))
EXPORT_MAX_ATTEMPTS = int(os.environ.get("EXPORT_MAX_ATTEMPTS", "3"))
EXPORT_TIME_LIMIT = int(os.environ.get("EXPORT_TIME_LIMIT", "900"))
# A statement's generation (asked for on the statements page) is held the same way (clinic.leases).
STATEMENT_LEASE_SECONDS = int(os.environ.get("STATEMENT_LEASE_SECONDS", "120"))
STATEMENT_MAX_ATTEMPTS = int(os.environ.get("STATEMENT_MAX_ATTEMPTS", "3"))
STATEMENT_TIME_LIMIT = int(os.environ.get("STATEMENT_TIME_LIMIT", "600"))
# Work still waiting this long after its task was handed to the broker was lost by it (a Redis
# restarted without its data): beat's recovery sends it again (a claim keeps it to one run).
LEASE_RESEND_AFTER_SECONDS = int(os.environ.get("LEASE_RESEND_AFTER_SECONDS", "300"))
CELERY_BEAT_SCHEDULE = {
    # In the public schema only: one relay for every clinic's outbox rows.
    "relay-outbox": {
        "task": "clinic.reliability.relay_outbox",
        "schedule": OUTBOX_RELAY_SECONDS,
        "tenant_schemas": ["public"],
    },
    "purge-outbox": {
        "task": "clinic.reliability.purge_outbox",
        "schedule": 60 * 60 * 6,
        "tenant_schemas": ["public"],
    },
    # Exports whose worker vanished: taken over, or failed with a message after the last try.
    "recover-exports": {
        "task": "clinic.exports.tasks.recover_exports",
        "schedule": 60,
    },
    # Statement generations whose worker vanished: taken over, or failed with a message.
    "recover-statement-runs": {
        "task": "reconciliation.recover_statement_runs",
        "schedule": 60,
    },
    # Daily and idempotent: each clinic's statements of the previous month, once.
    "monthly-statements": {
        "task": "reconciliation.generate_due_statements",
        "schedule": 60 * 60 * 6,
    },
    # Daily and idempotent: this quarter's settlement proposals, once per platform and quarter.
    "settlement-proposals": {
        "task": "reconciliation.propose_settlements",
        "schedule": 60 * 60 * 6,
    },
    # The statistics sent by partners: the days changed since the last fold, folded again (until
    # then they are read live). Cheap when nothing changed.
    "fold-partner-statistics": {
        "task": "partners.fold_statistics",
        "schedule": int(os.environ.get("STATISTICS_FOLD_SECONDS", "300")),
    },
    # Hourly and idempotent: each appointment is reminded once, whenever the task runs.
    "appointment-reminders": {
        "task": "clinic.scheduling.tasks.send_appointment_reminders",
        "schedule": 60 * 60,
    },
    # One archive per clinic a night (clinic/tenants/backup.py), BACKUP_RETENTION_DAYS kept.
    "nightly-clinic-backup": {
        "task": "clinic.tenants.tasks.nightly_backup",
        "schedule": crontab(hour=2, minute=30),
    },
    "purge-expired-exports": {
        "task": "clinic.exports.tasks.purge_expired_exports",
        "schedule": 60 * 60 * 6,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_forbidden": {"()": "clinic.logs.QuietForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["quiet_forbidden"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler plus the root's printed every request error twice.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        # WeasyPrint and fontTools report every font they load at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Patient searches a partner user may run per minute (partners.services.check_partner_search_rate).
PARTNER_SEARCH_RATE = int(os.environ.get("PARTNER_SEARCH_RATE", "20"))

# Content-Security-Policy (django-csp) on every page: scripts, styles and fonts from the
# application's own static files only — no inline script or event handler anywhere
# (static/js/app.js acts on data attributes); style attributes stay allowed for the
# calendar's computed positions and colours (they cannot run code). Served files keep
# their own, stricter "sandbox" policy (clinic/uploads.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# The issuer an authenticator app shows beside the account.
OTP_TOTP_ISSUER = "Clinic Channels"

# Browser features no screen uses (clinic.security.SecurityHeadersMiddleware).
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                      "microphone=(), payment=(), usb=(), interest-cohort=()")

# Nightly clinic archives (manage.py backup_clinic / restore_clinic).
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "var" / "backups"))
BACKUP_RETENTION_DAYS = int(os.environ.get("BACKUP_RETENTION_DAYS", "14"))

# How links in emails reach a host: "{domain}" is the clinic's or the public domain.
SITE_URL_TEMPLATE = os.environ.get("SITE_URL_TEMPLATE", "http://{domain}:8000")
