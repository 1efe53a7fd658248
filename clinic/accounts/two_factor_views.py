"""The second step of a sign-in, on the clinic site and the operator console."""

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import two_factor

DOORS = {
    # door -> (login, verify, setup, where a full sign-in lands)
    "clinic": ("accounts:login", "accounts:two_factor", "accounts:two_factor_setup", "home"),
    "operator": ("operator_login", "operator_two_factor", "operator_two_factor_setup", "operator_clinics"),
}


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                                         "inputmode": "text"}))


def _landing(request, door):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(DOORS[door][3])


def _signed_in_first(request, door):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), DOORS[door][0])
    if door == "operator" and not request.user.is_operator:
        return redirect(DOORS[door][0])
    return None


def verify(request, door):
    refused = _signed_in_first(request, door)
    if refused:
        return refused
    step = two_factor.next_step(request)
    if step == "setup":
        return redirect(DOORS[door][2])
    if step is None:
        return redirect(_landing(request, door))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.verify(request, form.cleaned_data["code"]):
            return redirect(_landing(request, door))
        form.add_error("code", _("This code is not right, or was already used. Try the next one."))
    return render(request, "accounts/two_factor_verify.html",
                  {"form": form, "door": door, "next": request.GET.get("next", "")},
                  status=422 if form.errors else 200)


def setup(request, door):
    refused = _signed_in_first(request, door)
    if refused:
        return refused
    if two_factor.next_step(request) == "verify":
        # Replacing an authenticator takes the current one first.
        return redirect(DOORS[door][1])
    device = two_factor.pending_authenticator(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_authenticator(request, device, form.cleaned_data["code"])
        if codes is not None:
            return render(request, "accounts/two_factor_codes.html",
                          {"codes": codes, "door": door, "landing": _landing(request, door)})
        form.add_error("code", _("This code is not right: check the time on your phone and try the next one."))
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "door": door, "secret": two_factor.secret_of(device), "config_url": device.config_url,
        "required": two_factor.required_for(request.user),
    }, status=422 if form.errors else 200)


def clinic_verify(request):
    return verify(request, "clinic")


def clinic_setup(request):
    return setup(request, "clinic")


def operator_verify(request):
    return verify(request, "operator")


def operator_setup(request):
    return setup(request, "operator")
