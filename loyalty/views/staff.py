"""Back-office pages for the merchant's staff: the list with invitations and the roles' matrix, a
person's role and access, custom roles, the two-factor requirement, and one's own authenticator."""
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from django_otp import login as otp_login

from loyalty.catalog import catalog
from loyalty.roles import CAPABILITIES, CAPABILITY, CUSTOM_PREFIX, role_by_key, role_of, roles_all
from loyalty.services import staff as staff_services
from loyalty.services.staff import StaffChangeRefused
from loyalty.views import request_actor
from tenants.accounts.forms import CodeForm
from tenants.accounts.models import User
from tenants.accounts.services import authenticator_for_enrolment, two_factor_verify
from tenants.accounts.views import CODE_PAUSED, CODE_WRONG, enrolment_context
from tenants.throttling import Throttled, client_address


class RoleChoiceField(forms.ChoiceField):
    def __init__(self, *, roles, **kwargs):
        super().__init__(choices=[(role.key, role.name) for role in roles], **kwargs)


class InviteForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail address"))

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"] = RoleChoiceField(roles=roles, label=gettext_lazy("Role"), initial="cashier")


class RoleChangeForm(forms.Form):
    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"] = RoleChoiceField(roles=roles, label=gettext_lazy("Role"))


class CustomRoleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the role"), max_length=80)
    capabilities = forms.MultipleChoiceField(
        label=pgettext_lazy("what a key or role is allowed to do", "May"), widget=forms.CheckboxSelectMultiple,
        choices=[(capability.key, capability.label) for capability in CAPABILITIES],
        help_text=gettext_lazy("Any page of the back office includes “Use the back office”."))

    def __init__(self, *args, role=None, **kwargs):
        """A role's name stays as it was made (the matrix and the people's lists show it)."""
        if role is not None:
            kwargs["initial"] = {"name": role.name, "capabilities": sorted(role.capabilities)}
        super().__init__(*args, **kwargs)
        self.fields["name"].disabled = role is not None


class StaffPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "accounts.change_user"


def _refused(form, refused: StaffChangeRefused):
    """A refusal next to its field, or above the form."""
    form.add_error(refused.field if refused.field in form.fields else None, refused.message)


class StaffListView(StaffPermissionMixin, View):
    """Everyone, the invitation form, the roles in plain words and the two-factor requirement."""

    def get(self, request, form=None):
        roles = roles_all()
        people = [{"person": person, "role": role_of(person), "two_factor": person.two_factor_devices > 0,
                   "invitation_open": staff_services.invitation_open(person)}
                  for person in staff_services.staff_list()]
        assignable = staff_services.roles_assignable(actor_user=request.user, roles=roles)
        return render(request, "loyalty/manage/staff/list.html", {
            "people": people, "roles": roles, "capabilities": CAPABILITIES,
            "form": form or InviteForm(roles=assignable),
            "two_factor_required": catalog().settings.two_factor_required,
            "without_two_factor": [row["person"] for row in people if row["person"].is_active
                                   and not row["two_factor"] and row["role"] is not None
                                   and row["role"].can(CAPABILITY["back_office"])],
        })

    def post(self, request):
        roles = staff_services.roles_assignable(actor_user=request.user, roles=roles_all())
        form = InviteForm(request.POST, roles=roles)
        if form.is_valid():
            try:
                person = staff_services.staff_invite(
                    email=form.cleaned_data["email"], full_name=form.cleaned_data["full_name"],
                    role=role_by_key(form.cleaned_data["role"]), actor=request_actor(request))
            except StaffChangeRefused as refused:
                _refused(form, refused)
            else:
                messages.success(request, _("%(name)s is invited: an e-mail with a link to choose a "
                                            "password is on its way to %(email)s.")
                                 % {"name": person, "email": person.email})
                return redirect("staff")
        return self.get(request, form=form)


class StaffPersonView(StaffPermissionMixin, View):
    """One person: their role, and what may be done about their access."""

    def get(self, request, pk, form=None):
        person = get_object_or_404(User, pk=pk)
        roles = staff_services.roles_assignable(actor_user=request.user, roles=roles_all())
        role = role_of(person)
        return render(request, "loyalty/manage/staff/person.html", {
            "person": person, "role": role,
            "form": form or RoleChangeForm(roles=roles, initial={"role": role.key if role else None}),
            "refusal": staff_services.staff_change_refusal(actor_user=request.user, person=person),
            "deactivate_refusal": staff_services.staff_change_refusal(
                actor_user=request.user, person=person, deactivate=True),
            "two_factor": staff_services.two_factor_set_up(person),
            "invitation_open": staff_services.invitation_open(person),
        })

    def post(self, request, pk):
        person = get_object_or_404(User, pk=pk)
        form = RoleChangeForm(request.POST, roles=staff_services.roles_assignable(
            actor_user=request.user, roles=roles_all()))
        if form.is_valid():
            role = role_by_key(form.cleaned_data["role"])
            try:
                staff_services.staff_role_change(person=person, role=role, actor=request_actor(request))
            except StaffChangeRefused as refused:
                _refused(form, refused)
            else:
                messages.success(request, _("%(name)s is now: %(role)s. They sign in again under the new role.")
                                 % {"name": person, "role": role.name})
                return redirect("staff-person", pk=person.pk)
        return self.get(request, pk, form=form)


class StaffDeactivateView(StaffPermissionMixin, View):
    """A confirmation first: deactivating signs the person out everywhere at once."""

    def get(self, request, pk):
        person = get_object_or_404(User, pk=pk, is_active=True)
        return render(request, "loyalty/manage/staff/deactivate.html", {
            "person": person,
            "refusal": staff_services.staff_change_refusal(actor_user=request.user, person=person, deactivate=True),
        })

    def post(self, request, pk):
        person = get_object_or_404(User, pk=pk, is_active=True)
        try:
            staff_services.staff_deactivate(person=person, actor=request_actor(request))
        except StaffChangeRefused as refused:
            messages.error(request, refused.message)
            return redirect("staff-person", pk=person.pk)
        messages.success(request, _("%(name)s is deactivated and signed out everywhere.") % {"name": person})
        return redirect("staff")


class PersonActionView(StaffPermissionMixin, View):
    """A POST on one person that needs no form: the service, then back to their page."""

    service = None
    done = ""

    def post(self, request, pk):
        person = get_object_or_404(User, pk=pk)
        try:
            self.service(person=person, actor=request_actor(request))
        except StaffChangeRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, self.done % {"name": person})
        return redirect("staff-person", pk=person.pk)


class StaffReactivateView(PersonActionView):
    service = staticmethod(staff_services.staff_reactivate)
    done = gettext_lazy("%(name)s can sign in again.")


class StaffInvitationResendView(PersonActionView):
    service = staticmethod(staff_services.staff_invitation_resend)
    done = gettext_lazy("The invitation was sent to %(name)s again.")


class StaffTwoFactorResetView(PersonActionView):
    service = staticmethod(staff_services.staff_two_factor_reset)
    done = gettext_lazy("The authenticator of %(name)s is removed; it is set up again at the next sign-in.")


class OwnerOnlyMixin(StaffPermissionMixin):
    def has_permission(self):
        return super().has_permission() and self.request.user.is_superuser


class CustomRoleView(OwnerOnlyMixin, View):
    """A custom role, new (no pk) or changed: its name and the capabilities ticked."""

    def role(self, pk):
        if pk is None:
            return None
        role = role_by_key(f"{CUSTOM_PREFIX}{pk}")
        if role is None:
            raise Http404
        return role

    def get(self, request, pk=None, form=None):
        role = self.role(pk)
        return render(request, "loyalty/manage/staff/role.html",
                      {"role": role, "form": form or CustomRoleForm(role=role)})

    def post(self, request, pk=None):
        role = self.role(pk)
        form = CustomRoleForm(request.POST, role=role)
        if form.is_valid():
            try:
                if role is None:
                    role = staff_services.role_create(name=form.cleaned_data["name"],
                                                      capabilities=form.cleaned_data["capabilities"],
                                                      actor=request_actor(request))
                else:
                    staff_services.role_change(role=role, capabilities=form.cleaned_data["capabilities"],
                                               actor=request_actor(request))
            except StaffChangeRefused as refused:
                _refused(form, refused)
            else:
                messages.success(request, _("The role “%(name)s” is saved.") % {"name": role.name})
                return redirect("staff")
        return self.get(request, pk, form=form)


class TwoFactorRequirementView(OwnerOnlyMixin, View):
    def post(self, request):
        required = request.POST.get("required") == "on"
        staff_services.two_factor_requirement_set(required=required, actor=request_actor(request))
        messages.success(request, _("Two-factor sign-in is now required for everyone with back-office access.")
                         if required else _("Two-factor sign-in is now optional."))
        return redirect("staff")


class TwoFactorSetupView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """One's own authenticator ("Zwei-Faktor-Anmeldung einrichten"): a QR code, then its first
    code, which confirms it; from then on every sign-in asks for a code."""

    permission_required = "loyalty.use_back_office"

    def get(self, request, form=None):
        context = {"form": form or CodeForm(), "done": staff_services.two_factor_set_up(request.user)}
        if (device := authenticator_for_enrolment(request.user)) is not None:
            context.update(enrolment_context(device, issuer=request.tenant.name.replace(":", "")))
        return render(request, "loyalty/manage/staff/two_factor_setup.html", context)

    def post(self, request):
        form = CodeForm(request.POST)
        if staff_services.two_factor_set_up(request.user):
            return redirect("two-factor-setup")
        if form.is_valid():
            address = client_address(request)
            try:
                device = two_factor_verify(user=request.user, code=form.cleaned_data["code"], address=address)
            except Throttled as throttled:
                form.add_error("code", CODE_PAUSED % {"minutes": throttled.minutes})
                response = self.get(request, form=form)
                response.status_code, response["Retry-After"] = 429, str(throttled.retry_after)
                return response
            if device is None:
                form.add_error("code", CODE_WRONG)
            else:
                staff_services.two_factor_enrolled(user=request.user, actor=request_actor(request))
                otp_login(request, device)
                messages.success(request, _("Two-factor sign-in is set up: from now on, signing in asks "
                                            "for the code from your app."))
                return redirect("two-factor-setup")
        return self.get(request, form=form)


urlpatterns = [
    path("staff/", StaffListView.as_view(), name="staff"),
    path("staff/<int:pk>/", StaffPersonView.as_view(), name="staff-person"),
    path("staff/<int:pk>/deactivate/", StaffDeactivateView.as_view(), name="staff-deactivate"),
    path("staff/<int:pk>/reactivate/", StaffReactivateView.as_view(), name="staff-reactivate"),
    path("staff/<int:pk>/invitation/", StaffInvitationResendView.as_view(), name="staff-invitation"),
    path("staff/<int:pk>/two-factor-reset/", StaffTwoFactorResetView.as_view(), name="staff-two-factor-reset"),
    path("staff/roles/new/", CustomRoleView.as_view(), name="staff-role-new"),
    path("staff/roles/<int:pk>/", CustomRoleView.as_view(), name="staff-role"),
    path("staff/two-factor/", TwoFactorRequirementView.as_view(), name="staff-two-factor"),
    path("account/two-factor/", TwoFactorSetupView.as_view(), name="two-factor-setup"),
]
