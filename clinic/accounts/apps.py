from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "clinic.accounts"
    label = "accounts"
    verbose_name = _("Staff and roles")

    def ready(self):
        from auditlog.registry import auditlog
        from django.contrib.auth.models import Group

        from .models import User

        # Role membership and a role's permissions are permission changes: audited.
        auditlog.register(
            User,
            m2m_fields={"groups"},
            # Explicit: the reverse link to a clinic's practitioner does not
            # exist in the public schema, where operators are audited too.
            include_fields=["email", "full_name", "is_active", "is_operator", "is_superuser", "language"],
        )
        auditlog.register(Group, m2m_fields={"permissions"})
        from clinic.audit import register_trail

        register_trail("user", User)
        post_migrate.connect(_sync_roles_after_migrate)

        from django.contrib.auth.signals import user_logged_in

        from .two_factor import remember_step

        # The second step of a sign-in is decided once, when the password is accepted.
        user_logged_in.connect(remember_step, dispatch_uid="two_factor_remember_step")


def _sync_roles_after_migrate(sender, using="default", **kwargs):
    from django.apps import apps
    from django.db import connections
    from django_tenants.utils import get_public_schema_name

    # post_migrate is sent once per app with models: act after the last one,
    # when every app's permissions exist.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is not with_models[-1]:
        return
    connection = connections[using]
    if getattr(connection, "schema_name", get_public_schema_name()) == get_public_schema_name():
        return
    from django.contrib.auth.management import create_permissions

    from .roles import sync_roles

    # Django creates each app's permissions in a post_migrate receiver of its
    # own, which may run after this one for the last app: create them first.
    create_permissions(sender, verbosity=0, using=using)
    sync_roles(create_missing_permissions=False)
