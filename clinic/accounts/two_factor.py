"""Two-factor sign-in (django-otp, TOTP, with recovery codes).

Required for operators; optional for clinic staff, unless the clinic requires it for its
managers and finance (``ClinicProfile.two_factor_for_managers``). Once a person has an
authenticator, every sign-in asks for a code. A sign-in that still needs its second step
sees only the pages of that step (``next_step``, checked by the access decorators).
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from binascii import unhexlify

from django.db import connection, transaction
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
ROLES_THE_CLINIC_MAY_REQUIRE = ("manager", "finance")


def _public() -> bool:
    from django_tenants.utils import get_public_schema_name

    return connection.schema_name == get_public_schema_name()


def _figures(user) -> tuple[bool, bool]:
    """(has a confirmed authenticator, is required to have one), in one query: it runs on
    every request of a person not yet signed in with two factors."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef, Value

    User = get_user_model()
    has_device = Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    if user.is_operator:
        required = Value(True)
    elif _public():
        required = Value(False)
    else:
        from clinic.models import ClinicProfile

        required = Exists(ClinicProfile.objects.filter(two_factor_for_managers=True)) & Exists(
            User.groups.through.objects.filter(user_id=OuterRef("pk"),
                                               group__name__in=ROLES_THE_CLINIC_MAY_REQUIRE))
    row = User.objects.filter(pk=user.pk).annotate(has_device=has_device, required=required).values_list(
        "has_device", "required").first()
    return (bool(row[0]), bool(row[1])) if row else (False, False)


def required_for(user) -> bool:
    return _figures(user)[1]


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


SESSION_KEY = "two_factor_step"


def step_for(user) -> str | None:
    has_device, required = _figures(user)
    return "verify" if has_device else "setup" if required else None


def next_step(request) -> str | None:
    """'verify', 'setup' or None (signed in fully). Decided when the person signs in
    (``remember_step``, kept in the session): a clinic that starts requiring two factors
    asks its managers and finance at their next sign-in, and a page costs no query."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    if SESSION_KEY not in request.session:
        request.session[SESSION_KEY] = step_for(user)
    return request.session[SESSION_KEY]


def remember_step(sender, request, user, **kwargs):
    """user_logged_in: decide the second step of this sign-in."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = step_for(user)


def pending_authenticator(user) -> TOTPDevice:
    """The authenticator being set up (unconfirmed), made once and kept until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)


def secret_of(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it (base32)."""
    return b32encode(unhexlify(device.key)).decode().rstrip("=")


def confirm_authenticator(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm a new authenticator with a code from it; returns fresh recovery codes (shown
    once), or None if the code is wrong."""
    if not device.verify_token((code or "").replace(" ", "")):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(device.user)
    otp_login(request, device)
    return codes


def new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


def verify(request, code: str) -> bool:
    """A code from the authenticator, or a recovery code (used once)."""
    device = match_token(request.user, (code or "").strip().replace(" ", "").lower())
    if device is None:
        return False
    otp_login(request, device)
    return True
