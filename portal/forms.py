from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from clinic.accounts.forms import EmailAuthenticationForm
from partners.organisations.models import TERMS_VERSION
from partners.organisations.services import Permissions, membership_of


class PartnerAuthenticationForm(EmailAuthenticationForm):
    """Only users of a partner company log in to the portal."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if membership_of(user) is None:
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


def _accept_terms_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("I accept the terms and conditions (version %(version)s)") % {"version": TERMS_VERSION},
        error_messages={"required": _("Accept the terms and conditions to continue.")},
    )


class RegistrationForm(SetPasswordForm):
    """The registration link's form: a password and, for the company's first user, the terms."""

    def __init__(self, user, *args, with_terms: bool, **kwargs):
        super().__init__(user, *args, **kwargs)
        if with_terms:
            self.fields["accept_terms"] = _accept_terms_field()


class TermsForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The label names the version, in the request's language: built per form.
        self.fields["accept_terms"] = _accept_terms_field()


class InvitationAnswerForm(forms.Form):
    accept = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")


class PartnerUserForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email address"))
    can_book = forms.BooleanField(label=_("Can book at partner clinics"), required=False)
    manages_users = forms.BooleanField(label=_("Manages the company's users"), required=False)
    sees_finance = forms.BooleanField(label=_("Sees commissions and accounts"), required=False)

    def permissions(self) -> Permissions:
        data = self.cleaned_data
        return Permissions(can_book=data["can_book"], manages_users=data["manages_users"],
                           sees_finance=data["sees_finance"])


class PartnerUserEditForm(PartnerUserForm):
    is_active = forms.BooleanField(label=_("Can log in"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].disabled = True
