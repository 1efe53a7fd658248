from django import forms

from clinic.accounts.forms import EmailAuthenticationForm

from .services import membership_of


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
