from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.uploads import CheckedFileField

from .models import Resolution


class PlatformStatementUploadForm(forms.Form):
    file = CheckedFileField("platform_statement", label=_("The platform's statement (.xlsx or .csv)"))
    check_columns = forms.BooleanField(label=_("Let me check the columns before importing"), required=False)


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("Resolution"), choices=Resolution.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class UndoVerificationForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class PresetForm(forms.Form):
    name = forms.CharField(label=_("Preset name"), max_length=100)
