from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .identity import normalise_email


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, full_name="", password=None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalise_email(email), full_name=full_name, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, full_name="", password=None, **extra):
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_operator", True)
        return self.create_user(email, full_name, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in.

    The table exists in every schema: clinic staff live in their clinic's
    schema, operators (and, later, partner users) in the public one. An email
    address is unique within one schema only.
    """

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    is_operator = models.BooleanField(_("operator"), default=False)
    must_change_password = models.BooleanField(default=False)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = normalise_email(self.email)

    def save(self, *args, **kwargs):
        # One identity whatever the case: stored normalised on every path.
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_staff(self):
        # Django's admin is not used; nobody is "staff" in its sense.
        return False

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def role_names(self) -> list[str]:
        return [group.name for group in self.groups.all()]
