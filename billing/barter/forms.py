import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.fields import ClinicDateField
from clinic.models import Service, ServiceCategory
from clinic.patients.models import Patient
from clinic.uploads import CheckedFileField

from .models import Agreement
from .services import Employee


class AgreementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Agreement.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    legal_details = forms.CharField(label=_("Legal details"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    contact = forms.CharField(label=_("Contact"), max_length=200, required=False)
    document = CheckedFileField("barter_document", label=_("Signed agreement"), required=False,
                                help_text=_("A PDF, PNG or JPEG file of at most 10 MB."))
    categories = forms.ModelMultipleChoiceField(label=_("Covered categories"), required=False,
                                                queryset=ServiceCategory.objects.all(),
                                                widget=forms.CheckboxSelectMultiple)
    services = forms.ModelMultipleChoiceField(label=_("Covered services"), required=False,
                                              queryset=Service.objects.filter(is_active=True).order_by("name"),
                                              widget=forms.SelectMultiple(attrs={"size": 8}))
    valid_from = ClinicDateField(label=_("Valid from"))
    valid_until = ClinicDateField(label=_("Valid until"), required=False)
    overspend = forms.ChoiceField(label=_("Beyond the limit"), choices=Agreement.Overspend.choices)


class PolicyForm(forms.Form):
    """A barter patient: an existing patient by number, or a new one by name and phone."""

    agreement = forms.ModelChoiceField(label=_("Agreement"), queryset=Agreement.objects.all())
    patient_number = forms.IntegerField(label=_("Patient number"), required=False, min_value=1,
                                        help_text=_("For a patient already registered; else enter the name."))
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    number = forms.CharField(label=_("Policy number"), max_length=40,
                             help_text=_("The patient's number on marketing's list."))
    limit = forms.DecimalField(label=_("Limit"), max_digits=14, decimal_places=2, min_value=0)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("patient_number"):
            patient = Patient.objects.filter(number=cleaned["patient_number"]).first()
            if patient is None:
                self.add_error("patient_number", _("No patient has this number."))
            cleaned["patient"] = patient
        elif not (cleaned.get("first_name") or "").strip() or not (cleaned.get("last_name") or "").strip():
            self.add_error("first_name", _("Enter the patient's number, or the new patient's first and last name."))
        else:
            cleaned["patient"] = None
        return cleaned


class EmployeesForm(forms.Form):
    """Several employees of a company recorded in one go: one line each."""

    agreement = forms.ModelChoiceField(label=_("Agreement"),
                                       queryset=Agreement.objects.filter(kind=Agreement.Kind.COMPANY))
    limit = forms.DecimalField(label=_("Limit"), max_digits=14, decimal_places=2, min_value=0, required=False,
                               help_text=_("For every line that names no limit of its own."))
    employees = forms.CharField(
        label=_("Employees"), widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One employee a line: policy number; last name; first name; phone; limit (optional). "
                    "A phone that already belongs to a patient of the same name records that patient."))

    MAX_LINES = 500

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("employees") or ""
        rows, errors, numbers = [], [], set()
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        if len(lines) > self.MAX_LINES:
            self.add_error("employees", _("At most %(count)s employees in one go.") % {"count": self.MAX_LINES})
            return cleaned
        for n, line in lines:
            cells = [cell.strip() for cell in re.split(r"[;\t]", line)]
            cells += [""] * (5 - len(cells))
            number, last_name, first_name, phone, limit = cells[:5]
            if len(cells) > 5 and any(cells[5:]):
                errors.append(_("Line %(line)s: more than five columns.") % {"line": n})
                continue
            if not number or not last_name or not first_name:
                errors.append(_("Line %(line)s: enter the policy number, last name and first name.") % {"line": n})
                continue
            if number.lower() in numbers:
                errors.append(_("Line %(line)s: policy number %(number)s is twice in the list.")
                              % {"line": n, "number": number})
                continue
            numbers.add(number.lower())
            if limit:
                try:
                    amount = Decimal(limit.replace(" ", "").replace(",", "."))
                except InvalidOperation:
                    amount = None
                if amount is None or not amount.is_finite() or amount < 0:
                    errors.append(_("Line %(line)s: the limit is not an amount.") % {"line": n})
                    continue
            elif cleaned.get("limit") is None:
                errors.append(_("Line %(line)s: enter a limit on the line or above the list.") % {"line": n})
                continue
            else:
                amount = cleaned["limit"]
            rows.append(Employee(line=n, number=number, last_name=last_name, first_name=first_name,
                                 phone=phone, limit=amount))
        for error in errors:
            self.add_error("employees", error)
        if not lines:
            self.add_error("employees", _("Enter at least one employee."))
        cleaned["rows"] = rows
        return cleaned


class IncreaseForm(forms.Form):
    amount = forms.DecimalField(label=_("Increase"), max_digits=14, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PlanItemForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.filter(is_active=True)
                                     .order_by("name"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=999, initial=1)


class PlanApprovalForm(forms.Form):
    new_limit = forms.DecimalField(label=_("New limit"), max_digits=14, decimal_places=2, required=False,
                                   help_text=_("Leave empty to keep the limit."))


class WriteOffForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
