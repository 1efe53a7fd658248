from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError

from . import services
from .forms import EmailAuthenticationForm, StaffMemberEditForm, StaffMemberForm
from .models import User
from .roles import role_label


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.user.must_change_password:
            form.user.must_change_password = False
            form.user.save(update_fields=["must_change_password"])
        messages.success(self.request, _("Your password was changed."))
        return response


password_change = clinic_view()(PasswordChangeView.as_view())

password_reset = auth_views.PasswordResetView.as_view(
    template_name="accounts/password_reset.html",
    email_template_name="accounts/email/password_reset.txt",
    subject_template_name="accounts/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


@clinic_view("clinic.manage_staff")
def staff_list(request):
    members = User.objects.prefetch_related("groups").order_by("-is_active", "full_name")
    rows = [(member, [role_label(g.name) for g in member.groups.all()]) for member in members]
    return render(request, "accounts/staff_list.html", {"rows": rows})


@clinic_view("clinic.manage_staff")
def staff_create(request):
    form = StaffMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = services.invite_staff_member(
                email=data["email"],
                full_name=data["full_name"],
                roles=data["roles"],
                language=data["language"],
                actor=request.user,
                domain=request.get_host().split(":")[0],
            )
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(
                request, _("%(name)s was added and has been sent a link to set a password.") % {"name": member}
            )
            return redirect("staff_list")
    return render(request, "accounts/staff_form.html", {"form": form, "member": None})


@clinic_view("clinic.manage_staff")
def staff_edit(request, pk):
    member = get_object_or_404(User, pk=pk)
    initial = {
        "email": member.email,
        "full_name": member.full_name,
        "roles": [g.name for g in member.groups.all()],
        "language": member.language,
        "is_active": member.is_active,
    }
    form = StaffMemberEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_staff_member(
                member,
                actor=request.user,
                full_name=data["full_name"],
                roles=data["roles"],
                is_active=data["is_active"],
                language=data["language"],
            )
        except DomainError as error:
            error.add_to(form)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": member.full_name})
            return redirect("staff_list")
    return render(request, "accounts/staff_form.html", {"form": form, "member": member})
