"""The clinic's partner forms: the company and its terms, and the traffic channels matrix.

The forms only parse; the rules (a percent from 0 to 100, at least one open location, one
partnership per company) live in ``partners.services`` and come back as ``DomainError``.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.models import Location
from partners.organisations.models import PartnerOrganisation

from .models import PaymentPlace
from .services import PartnerData, PartnerTerms

COMPANY_FIELDS = ("name", "registration_number", "kind", "address", "contact_name", "contact_email")
TERMS_FIELDS = ("locations", "commission", "commission_percent", "payment_place", "patient_data_access")


class PartnerTermsForm(forms.Form):
    """What the partner may do at this clinic."""

    locations = forms.ModelMultipleChoiceField(
        label=_("Locations it may book at"), required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        queryset=Location.objects.filter(is_active=True).order_by("name"))
    commission = forms.BooleanField(label=_("The partner earns a commission"), required=False)
    commission_percent = forms.DecimalField(
        label=_("Commission (%)"), required=False, max_digits=5, decimal_places=2,
        help_text=_("A percent of the booked services' value, from 0 to 100."))
    payment_place = forms.ChoiceField(label=_("Place of payment"), choices=PaymentPlace.choices,
                                      initial=PaymentPlace.CLINIC)
    patient_data_access = forms.BooleanField(
        label=_("Access to patient data"), required=False,
        help_text=_("While booking, the partner's users may find the clinic's earlier patients by name "
                    "(name and birth year shown, never exported). Without it they enter a new patient's "
                    "details for every booking."))

    def terms(self) -> PartnerTerms:
        data = self.cleaned_data
        return PartnerTerms(
            location_ids=[location.pk for location in data["locations"]], commission=data["commission"],
            commission_percent=data["commission_percent"] if data["commission_percent"] is not None else 0,
            payment_place=data["payment_place"], patient_data_access=data["patient_data_access"])

    @staticmethod
    def initial_for(partnership) -> dict:
        return {"locations": list(partnership.locations.all()), "commission": partnership.commission,
                "commission_percent": partnership.commission_percent if partnership.commission else None,
                "payment_place": partnership.payment_place,
                "patient_data_access": partnership.patient_data_access}


class PartnerForm(PartnerTermsForm):
    """A new partner: the company (a legal entity) and its terms here."""

    name = forms.CharField(label=_("Company name"), max_length=200)
    registration_number = forms.CharField(
        label=_("Registration number"), max_length=40,
        help_text=_("A company already working with other clinics is found by this number and gets an "
                    "invitation instead of a registration email."))
    kind = forms.ChoiceField(label=_("Type"), choices=PartnerOrganisation.Kind.choices)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=150)
    contact_email = forms.EmailField(label=_("Contact email"), help_text=_("The contact person is notified here."))

    field_order = [*COMPANY_FIELDS, *TERMS_FIELDS]

    def company(self) -> PartnerData:
        data = self.cleaned_data
        return PartnerData(name=data["name"], registration_number=data["registration_number"], kind=data["kind"],
                           contact_name=data["contact_name"], contact_email=data["contact_email"],
                           address=data["address"])


class ChannelsForm(forms.Form):
    """The traffic channels matrix as posted: ``partner`` names each column shown, ``channel``
    each ticked cell as "partnership:service", ``category`` (a button) asks to tick or untick a
    whole category for one partner before saving."""

    def __init__(self, data=None, *, service_ids, categories=()):
        super().__init__(data)
        self.service_ids = set(service_ids)
        self.category_ids = set(categories)

    @staticmethod
    def _pair(value: str) -> tuple[int, int] | None:
        first, _colon, second = (value or "").partition(":")
        if not (first.isdigit() and second.isdigit()):
            return None
        return int(first), int(second)

    def clean(self):
        posted = [int(value) for value in self.data.getlist("partner") if value.isdigit()]
        ticked = set()
        for value in self.data.getlist("channel"):
            pair = self._pair(value)
            if pair is None or pair[0] not in posted or pair[1] not in self.service_ids:
                raise forms.ValidationError(_("A chosen service does not exist."))
            ticked.add(pair)
        toggle = None
        if self.data.get("category"):
            toggle = self._pair(self.data["category"])
            if toggle is None or toggle[0] not in posted or toggle[1] not in self.category_ids:
                raise forms.ValidationError(_("A chosen service does not exist."))
        return {"partners": posted, "ticked": ticked, "toggle": toggle}
