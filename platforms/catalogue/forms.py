"""The operator's forms: they parse; the services decide (``services.py``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.money import CURRENCIES, parse_amount

from .models import Enrolment, Platform, Product
from .services import OVERLAPS, PlatformData, ProductData


class PlatformForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=31,
                           help_text=_("In the order address: /api/platforms/<code>/orders"))
    name = forms.CharField(label=_("Name"), max_length=200)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES], initial="CNY")
    invoice_details = forms.CharField(label=_("Invoice details"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                      help_text=_("What the clinics put on their invoices to the platform's operator."))
    mailing_address = forms.CharField(label=_("Mailing address"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}),
                                      help_text=_("Where the clinics send their invoices."))
    is_active = forms.BooleanField(label=_("Active (clinics can apply and orders are taken)"), required=False,
                                   initial=True)

    def data_object(self) -> PlatformData:
        return PlatformData(**self.cleaned_data)


class RotateForm(forms.Form):
    overlap = forms.ChoiceField(label=_("The old secret stays valid"), initial="24h", choices=[
        ("1h", _("for 1 hour")), ("24h", _("for 24 hours")), ("7d", _("for 7 days")),
        ("0", _("not at all (it leaked)"))])

    def overlap_value(self):
        return OVERLAPS[self.cleaned_data["overlap"]]


class ProductForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Product.Kind.choices, widget=forms.RadioSelect)
    code = forms.CharField(label=_("Product code"), max_length=40, help_text=_("As the platform names it in its orders."))
    name = forms.CharField(label=_("Name"), max_length=200)
    price = forms.CharField(label=_("Settlement price or face value"), max_length=20,
                            help_text=_("A package: what the platform pays the clinic for one. A cash voucher: "
                                        "its face value, which the patient paid on the platform."))
    contents = forms.CharField(
        label=_("Services"), widget=forms.Textarea(attrs={"rows": 5, "dir": "ltr", "spellcheck": "false"}),
        help_text=_("One service code per line, with its quantity for a package: “DEN-01 × 2”. A voucher: the "
                    "codes it may pay towards."))
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_price(self):
        try:
            return parse_amount(self.cleaned_data["price"])
        except ValueError:
            raise forms.ValidationError(_("Enter an amount, e.g. 180.00.")) from None

    def data_object(self) -> ProductData:
        return ProductData(**self.cleaned_data)


class ApproveForm(forms.Form):
    identifier = forms.CharField(label=_("Clinic's identifier at the platform"), max_length=60)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class EnrolmentFilter(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), *Enrolment.Status.choices])
    platform = forms.ModelChoiceField(label=_("Platform"), required=False, empty_label=_("All"),
                                      queryset=Platform.objects.order_by("name"))
