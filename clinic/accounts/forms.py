from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .identity import normalise_email
from .roles import Role


class EmailAuthenticationForm(AuthenticationForm):
    """The login of every door (clinic, portal, operator): the address is normalised
    before it is authenticated, as the lockout keys it (clinic.accounts.identity)."""

    username = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self):
        return normalise_email(self.cleaned_data.get("username"))


class OperatorAuthenticationForm(EmailAuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_operator:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                        params={"username": self.username_field.verbose_name})


class StaffMemberForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    language = forms.ChoiceField(
        label=_("Language of emails"), choices=[("", _("Clinic default"))] + list(settings.LANGUAGES), required=False
    )


class StaffMemberEditForm(StaffMemberForm):
    is_active = forms.BooleanField(label=_("Can log in"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].disabled = True
