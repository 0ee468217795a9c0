"""Back-office pages for a merchant's owner and managers: signing in (password, then the
authenticator's code where it is needed), the invitation's first password, the overview."""
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.generic import TemplateView

from loyalty.actors import Actor
from loyalty.overview import shop_overview
from loyalty.services.audit import audit_record
from loyalty.services.staff import BACK_OFFICE_PERMISSION, two_factor_needed
from loyalty.views import request_actor
from tenants.accounts.forms import ThrottledAuthenticationForm, ThrottledLoginMixin
from tenants.accounts.views import TwoFactorStepView, two_factor_pending, two_factor_pending_user_id

SIGN_IN_ACTION = "user.sign_in"


def signed_in_record(request, *, method: str) -> None:
    """The audit row of a sign-in to the back office, with the address it came from: `method` is
    what it took (password, two_factor: password and code, invitation: the first password)."""
    audit_record(actor=request_actor(request), action=SIGN_IN_ACTION, method=method)


def password_accepted(request, user, *, next_url: str, method: str = "password"):
    """After the right password (at the sign-in or from an invitation): signed in, or on to the
    authenticator's code first where the merchant or the person asks for it."""
    if two_factor_needed(user):
        return two_factor_pending(request, user, next_url=next_url)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    signed_in_record(request, method=method)
    return redirect(next_url)


class ManageLoginForm(ThrottledAuthenticationForm):
    def lockout_record(self, *, email: str, address: str) -> None:
        audit_record(actor=Actor(label="back-office sign-in", address=address),
                     action="throttled.wrong-passwords", account=email)


class ManageLoginView(ThrottledLoginMixin, auth_views.LoginView):
    """Step one: e-mail and password. While a sign-in waits for its code, every way into the
    back office leads to the code step (signing out starts over)."""

    template_name = "loyalty/manage/login.html"
    redirect_authenticated_user = True
    authentication_form = ManageLoginForm

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated and two_factor_pending_user_id(request) is not None:
            return redirect(f"{reverse('two-factor')}?{request.GET.urlencode()}")
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        return password_accepted(self.request, form.get_user(), next_url=self.get_success_url())


class ManageTwoFactorView(TwoFactorStepView):
    """Step two: the authenticator's code (tenants.accounts.views, as the operator's console);
    on a first sign-in the authenticator is set up with a QR code."""

    template_name = "loyalty/manage/two_factor.html"

    @property
    def issuer(self) -> str:
        return self.request.tenant.name.replace(":", "")

    def lockout_record(self, *, address: str) -> None:
        audit_record(actor=Actor(label="back-office sign-in", address=address), action="throttled.wrong-codes",
                     account=self.user.email)

    def signed_in_record(self) -> None:
        signed_in_record(self.request, method="two_factor")


class InvitationView(auth_views.PasswordResetConfirmView):
    """The owner's (or a colleague's) first password, from the link in the invitation e-mail; a
    deactivated person's link does not work. Then signed in like at the sign-in (the code step
    where it is needed); someone who works at the till only is sent there."""

    template_name = "loyalty/manage/invitation.html"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        user = form.save()
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        if not user.has_perm(BACK_OFFICE_PERMISSION):
            return render(self.request, "loyalty/manage/staff/invitation_done.html", {"person": user})
        return password_accepted(self.request, user, next_url=reverse("home"), method="invitation")


class DashboardView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = "loyalty.use_back_office"
    template_name = "loyalty/manage/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**shop_overview(self.request.user), **kwargs)

