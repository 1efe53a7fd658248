from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from clinic.money import CURRENCIES

from .models import time_zone_choices


class NewClinicForm(forms.Form):
    name = forms.CharField(label=_("Clinic name"), max_length=200)
    slug = forms.CharField(
        label=_("Short name"), max_length=41, help_text=_("Becomes the clinic's address: <short name>.localhost")
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES])
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, initial="UTC")
    language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)
    admin_email = forms.EmailField(label=_("First manager's email address"))
    admin_name = forms.CharField(label=_("First manager's full name"), max_length=150)
