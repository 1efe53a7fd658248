"""Forms of the money screens: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.accounts.models import User
from clinic.calendars import format_date as date_format
from clinic.fields import ClinicDateField
from clinic.models import Location, Practitioner, Service, ServiceCategory
from clinic.templatetags.ui import money

from .ledger import with_remaining
from .models import DEPOSIT_METHODS, Activity, Deposit, Method, Payer, Promotion, Visit

# What a cashier takes at the desk (deposit and club credit need their own details).
DESK_METHODS = [Method.CASH, Method.CARD, Method.TRANSFER, Method.DEPOSIT, Method.LOYALTY]


def _amount_field(label, required=True):
    return forms.DecimalField(label=label, max_digits=14, decimal_places=2, min_value=0, required=required,
                              widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))


# The cashier's "For" choice that pays the oldest visits first instead of one visit.
TOWARDS_BALANCE = "balance"


class PaymentForm(forms.Form):
    """One payment, in one method or two at once (part cash with change, part card).

    What the money is for is always chosen: a visit (the open one by default) or,
    only when chosen, the patient's balance (the oldest visits first)."""

    visit = forms.ChoiceField(label=_("For"), error_messages={
        "required": _("Choose the visit this pays, or the patient's balance.")})
    method = forms.ChoiceField(label=_("Method"), choices=[(m.value, m.label) for m in DESK_METHODS])
    amount = _amount_field(_("Amount"))
    tendered = _amount_field(_("Cash tendered"), required=False)
    deposit = forms.ModelChoiceField(label=_("Deposit"), queryset=Deposit.objects.none(), required=False)
    method_2 = forms.ChoiceField(label=_("Other way of paying"), required=False,
                                 choices=[("", _("None"))] + [(m.value, m.label) for m in DESK_METHODS])
    amount_2 = _amount_field(_("Paid that way"), required=False)

    def __init__(self, *args, patient, deposits, visits, dues=None, **kwargs):
        super().__init__(*args, **kwargs)
        dues = dues or {}
        self.visits = {str(v.pk): v for v in visits}

        def label(v):
            text = f"#{v.number} · {date_format(timezone.localtime(v.opened_at), 'SHORT_DATE_FORMAT')}"
            if v.pk in dues:
                text += " · " + _("%(due)s due") % {"due": money(dues[v.pk], v.currency)}
            if v.status == Visit.Status.OPEN:
                text += " · " + str(_("open"))
            return text

        self.fields["visit"].choices = (
            [("", _("Choose…"))] + [(key, label(v)) for key, v in self.visits.items()]
            + [(TOWARDS_BALANCE, _("Towards the balance (the oldest visits first)"))]
        )
        self.fields["deposit"].queryset = with_remaining(Deposit.objects.filter(pk__in=[d.pk for d in deposits]))
        self.fields["deposit"].label_from_instance = lambda d: f"#{d.number} · {money(d.remaining, d.currency)}"

    def clean_visit(self):
        value = self.cleaned_data["visit"]
        return None if value == TOWARDS_BALANCE else self.visits[value]

    def clean(self):
        data = super().clean()
        if data.get("method_2") and data.get("amount_2") in (None, ""):
            self.add_error("amount_2", _("Give the amount paid by the second method."))
        if not data.get("method_2") and data.get("amount_2"):
            self.add_error("method_2", _("Choose the second method."))
        return data


class DepositForm(forms.Form):
    amount = _amount_field(_("Amount"))
    method = forms.ChoiceField(label=_("Method"), choices=[(m.value, m.label) for m in DEPOSIT_METHODS])
    note = forms.CharField(label=_("For what"), max_length=200, required=False)


class RefundForm(forms.Form):
    amount = _amount_field(_("Amount"))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class VisitForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.filter(is_active=True))
    practitioner = forms.ModelChoiceField(label=_("Practitioner"), queryset=Practitioner.objects.filter(
        is_active=True), required=False)


class LineForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.filter(is_active=True)
                                     .select_related("category").order_by("category__name", "name"))
    quantity = forms.IntegerField(label=_("Quantity"), initial=1, min_value=1, max_value=999)
    unit_price = _amount_field(_("Unit price"), required=False)
    payer = forms.ModelChoiceField(label=_("Payer"), queryset=Payer.objects.none(), required=False,
                                   empty_label=_("The patient"))
    discount_percent = forms.DecimalField(label=_("Discount (%)"), max_digits=5, decimal_places=2, required=False,
                                          min_value=0, max_value=100)
    discount_amount = _amount_field(_("or discount amount"), required=False)
    discount_reason = forms.CharField(label=_("Reason for the discount"), max_length=200, required=False)

    def __init__(self, *args, visit: Visit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].label_from_instance = lambda s: f"{s.code} · {s.name} · {money(s.price)}"
        self.fields["unit_price"].help_text = _("Leave empty for the price-list price.")
        self.fields["payer"].queryset = Payer.objects.filter(patient=visit.patient).exclude(kind="patient")
        self.fields["payer"].label_from_instance = lambda p: f"{p.get_kind_display()} · {p.name}"


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices)
    subject = forms.CharField(label=_("What to do"), max_length=200)
    due_date = ClinicDateField(label=_("Due date"))
    assignee = forms.ModelChoiceField(label=_("Assigned to"), queryset=User.objects.filter(is_active=True)
                                      .exclude(groups=None).distinct().order_by("full_name"))


class FinishActivityForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PromotionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Promotion.Kind.choices)
    value = forms.DecimalField(label=_("Value"), max_digits=14, decimal_places=2, min_value=0)
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.order_by("name"), required=False,
                                     empty_label=_("Any service"))
    category = forms.ModelChoiceField(label=_("or category"), queryset=ServiceCategory.objects.all(),
                                      required=False, empty_label=_("Any category"))
    valid_from = ClinicDateField(label=_("Valid from"))
    valid_until = ClinicDateField(label=_("Valid until"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class ClubSettingsForm(forms.Form):
    points_per_unit = forms.DecimalField(label=_("Points per unit of currency paid"), max_digits=8,
                                         decimal_places=4, min_value=0,
                                         help_text=_("0 switches the customer club off."))
    point_value = _amount_field(_("Value of one point"))


class CounterpartyReceiptForm(forms.Form):
    amount = _amount_field(_("Amount received"))
    received_on = ClinicDateField(label=_("Received on"))
    reference = forms.CharField(label=_("Bank reference"), max_length=100)


class UndoAllocationForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
