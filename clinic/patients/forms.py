from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.fields import ClinicDateField

from .models import Flag, PhoneRelation, Source
from .services import NEW_SHARING, SAME_PERSON, PatientData


def validate_phone(phone: str) -> str:
    """A typed phone in its canonical form (E.164), read with the clinic's country as the
    region of numbers typed without a country code; a number that is not valid is refused."""
    from clinic.phones import clinic_region, to_e164

    phone = phone.strip()
    if not phone:
        return ""
    e164 = to_e164(phone)
    if e164 is None:
        if clinic_region():
            raise forms.ValidationError(_("This is not a valid phone number. Type it as you would dial it "
                                          "here, or with + and the country code."))
        raise forms.ValidationError(_("This is not a valid phone number. Type it with + and the country code."))
    return e164


class PatientForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    birth_date = ClinicDateField(label=_("Birth date"), required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices, initial=Source.WALK_IN)
    consent_to_contact = forms.BooleanField(label=_("Agrees to be contacted (reminders, offers)"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_phone(self):
        return validate_phone(self.cleaned_data["phone"])

    def patient_data(self) -> PatientData:
        data = self.cleaned_data
        return PatientData(**{key: data[key] for key in PatientData.__dataclass_fields__})


class PhoneDecisionForm(forms.Form):
    phone_decision = forms.ChoiceField(
        label=_("This phone number already belongs to a patient"),
        choices=[(SAME_PERSON, _("This is the same person")), (NEW_SHARING, _("A new patient sharing this phone"))],
        widget=forms.RadioSelect,
    )
    relation = forms.ChoiceField(
        label=_("Relation to the phone's owner"),
        choices=[c for c in PhoneRelation.choices if c[0] != PhoneRelation.SELF],
        initial=PhoneRelation.OTHER,
    )


class FlagForm(forms.Form):
    flag = forms.ModelChoiceField(label=_("Flag"), queryset=Flag.objects.all())
