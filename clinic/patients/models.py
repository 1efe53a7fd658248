"""Patients: identity, phones shared by several people, flags, source channel, consent."""

import unicodedata

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinic.fields import SequenceNumberField

PATIENT_NUMBER_SEQUENCE = "patients_patient_number_seq"


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Ștefan" and "stefan" match; keeps CJK and Persian letters."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def normalise_phone(text: str) -> str:
    """The stored form of a phone: E.164 ("067239215" in a Moldovan clinic ->
    "+37367239215"); a number that cannot be read keeps its digits (see clinic.phones)."""
    from clinic.phones import canonical

    return canonical(text)


class Source(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    WEB = "web", _("Web")
    PARTNER = "partner", _("Partner")
    PLATFORM = "platform", _("Platform")
    BARTER = "barter", _("Barter")
    REFERRAL = "referral", _("Referral")


def _is_cjk(text: str) -> bool:
    return bool(text) and all("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text.strip())


class PhoneRelation(models.TextChoices):
    SELF = "self", _("Own phone")
    CHILD = "child", _("Child of the phone's owner")
    SPOUSE = "spouse", _("Spouse of the phone's owner")
    PARENT = "parent", _("Parent of the phone's owner")
    OTHER = "other", _("Other relation to the phone's owner")


# The built-in flags (created by migration 0002) are stored by code and shown in the reader's
# language; a clinic's own flags keep the text they were given.
BUILT_IN_FLAGS = {"barter": _("Barter"), "vip": _("VIP"), "allergy": _("Allergy")}


def flag_name(code: str, label: str) -> str:
    return str(BUILT_IN_FLAGS[code]) if code in BUILT_IN_FLAGS else label


class Flag(models.Model):
    """A coloured marker shown wherever the patient's name appears (e.g. the pink "barter")."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=60)
    colour = models.CharField(_("colour"), max_length=7, default="#c2255c")

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["label"]
        default_permissions = ()

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        """The flag as shown: a built-in one translated, a clinic's own as written."""
        return flag_name(self.code, self.label)


class Patient(models.Model):
    number = SequenceNumberField(_("patient number"), PATIENT_NUMBER_SEQUENCE)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    phone_owner = models.ForeignKey(
        "self",
        verbose_name=_("phone's owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="phone_sharers",
    )
    phone_relation = models.CharField(
        _("relation to the phone's owner"), max_length=10, choices=PhoneRelation.choices, default=PhoneRelation.SELF
    )
    email = models.EmailField(_("email"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WALK_IN)
    consent_to_contact = models.BooleanField(_("agrees to be contacted"), default=False)
    consent_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    flags = models.ManyToManyField(Flag, through="PatientFlag", related_name="patients", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Folded name, number, phone and birth date: one trigram-indexed column to search.
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["last_name", "first_name", "number"]
        default_permissions = ("view", "add", "change")
        indexes = [
            GinIndex(fields=["search_text"], name="patients_search_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.phone = normalise_phone(self.phone)
        if not isinstance(self.number, int):
            # Taken before the insert so that the number is searchable at once.
            self.number = next_patient_number()
        self.search_text = self.build_search_text()
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        # A Chinese name reads family name first, without a space (王芳, not 芳 王).
        if _is_cjk(self.last_name) and _is_cjk(self.first_name):
            return f"{self.last_name}{self.first_name}"
        return f"{self.first_name} {self.last_name}".strip()

    def build_search_text(self) -> str:
        return search_text_of(self)


def search_text_of(patient) -> str:
    """Folded name, number, phone (international and national digits) and birth date."""
    from clinic.phones import search_forms

    parts = [patient.first_name, patient.last_name, str(patient.number or ""), *search_forms(patient.phone)]
    if patient.birth_date:
        parts += [patient.birth_date.isoformat(), patient.birth_date.strftime("%d.%m.%Y")]
    return fold(" ".join(p for p in parts if p))


def next_patient_number() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [PATIENT_NUMBER_SEQUENCE])
        return cursor.fetchone()[0]


class PatientFlag(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="flag_links")
    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="patient_links")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)
    # "manual", or the feature that set it (e.g. "barter"), which may also remove it.
    origin = models.CharField(max_length=20, default="manual")

    class Meta:
        verbose_name = _("patient flag")
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["patient", "flag"], name="patients_flag_once")]

    def __str__(self):
        return f"{self.patient} · {self.flag}"

    def get_additional_data(self):
        # Lets the patient's audit trail include flags set and removed.
        return {"patient": self.patient_id}
