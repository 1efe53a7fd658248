"""Phone numbers: parsed, validated and stored in one canonical form (E.164, "+37367239215")
by Google's libphonenumber (the ``phonenumbers`` package), with the clinic's country as the
region of numbers typed without their country code; shown in the local format for the
clinic's own country and in the international one for others.

The clinic's country is the territory of its time zone (Europe/Chisinau: MD), read from
the CLDR data Babel ships, so a clinic needs no second setting saying where it is.
"""

from __future__ import annotations

import phonenumbers
from babel.core import get_global
from django.db import connection

E164 = phonenumbers.PhoneNumberFormat.E164


def region_of_zone(time_zone: str) -> str | None:
    """The ISO country of a time zone ("Europe/Chisinau" -> "MD"), or None (UTC)."""
    territory = get_global("zone_territories").get(time_zone or "")
    return territory if territory and territory != "001" else None


def clinic_region() -> str | None:
    """The country whose numbers may be typed without a country code in this clinic."""
    return region_of_zone(getattr(getattr(connection, "tenant", None), "time_zone", ""))


def parse(text: str, region: str | None = None) -> phonenumbers.PhoneNumber | None:
    """A valid number, or None: whatever the spacing, dashes, brackets, leading 0 or +code."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region or clinic_region())
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def to_e164(text: str, region: str | None = None) -> str | None:
    """The canonical form of a typed number, or None when it is not a valid number."""
    number = parse(text, region)
    return phonenumbers.format_number(number, E164) if number else None


def canonical(text: str, region: str | None = None) -> str:
    """E.164 when the number can be read; else what was typed, digits (and a leading +) only,
    so a number that cannot be read is kept, never guessed."""
    e164 = to_e164(text, region)
    if e164:
        return e164
    text = (text or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    return ("+" + digits) if text.startswith("+") and digits else digits


def display(stored: str, region: str | None = None) -> str:
    """A stored number as people read it: "0672 39 215" for the clinic's own country,
    "+40 721 234 567" for another; an unreadable one as stored."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, region or clinic_region())
    except phonenumbers.NumberParseException:
        return stored
    if not phonenumbers.is_valid_number(number):
        return stored
    own = phonenumbers.region_code_for_number(number) == (region or clinic_region())
    style = phonenumbers.PhoneNumberFormat.NATIONAL if own else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def search_forms(stored: str) -> list[str]:
    """The digit strings a stored number is found by: the international digits and the
    national ones (with the trunk prefix, e.g. the leading 0), so any part of either matches."""
    number = None
    try:
        number = phonenumbers.parse(stored, clinic_region()) if stored else None
    except phonenumbers.NumberParseException:
        pass
    forms = [stored.lstrip("+")] if stored else []
    if number is not None and phonenumbers.is_valid_number(number):
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        forms.append("".join(ch for ch in national if ch.isdigit()))
    return [form for form in dict.fromkeys(forms) if form]
