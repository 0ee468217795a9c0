"""Two-factor sign-in, shared by the operator's console and a merchant's back office: after the
password, the session holds only whose code it waits for; the code step (django-otp) signs in,
and on a first sign-in sets the authenticator app up with a QR code."""
import segno
from django.contrib.auth import login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from django_otp import login as otp_login

from tenants.accounts.forms import CodeForm, ThrottledLoginMixin
from tenants.accounts.models import AuthenticatorDevice, User
from tenants.accounts.services import authenticator_for_enrolment, two_factor_verify
from tenants.throttling import Throttled, client_address

PENDING_USER = "two_factor_pending_user"
CODE_PAUSED = gettext_lazy("Too many wrong codes. Code entry is paused for this account here: "
                           "please try again in %(minutes)s min.")
CODE_WRONG = gettext_lazy("This code is not valid. Please enter the current code.")


def two_factor_pending(request, user: User, *, next_url: str):
    """After the right password: the session waits for this user's code and is not signed in
    (a new session key, as at a sign-in); the browser goes to the code step."""
    request.session.cycle_key()
    request.session[PENDING_USER] = user.pk
    return redirect(f"{reverse('two-factor')}?{urlencode({'next': next_url})}")


def two_factor_pending_user_id(request) -> int | None:
    return request.session.get(PENDING_USER)


def enrolment_context(device: AuthenticatorDevice, *, issuer: str) -> dict:
    """What a page shows to add a new authenticator to an app: the QR code (SVG, drawn in the
    page, no request elsewhere) and the key to type in."""
    url = device.config_url(issuer=issuer)
    return {"enrolling": True, "secret": device.base32_key, "uri": url,
            "qr_code": mark_safe(segno.make(url, error="m").svg_inline(scale=4, omitsize=True))}


class TwoFactorStepView(ThrottledLoginMixin, FormView):
    """Step two: the code from the authenticator app; on the first sign-in, the app is set up with
    a QR code first. The key is kept in the database, encrypted, never in the session. A subclass
    says who may take this step (`users`), how a lock-out is recorded and where it goes after."""

    form_class = CodeForm
    issuer = "Stammkunde"

    def users(self):
        return User.objects.all()

    def lockout_record(self, *, address: str) -> None:
        """Write the pause down in the host's audit log."""

    def signed_in_record(self) -> None:
        """Write the sign-in down in the host's audit log (the request is signed in by now)."""

    def default_url(self) -> str:
        return reverse("home")

    def dispatch(self, request, *args, **kwargs):
        self.user = self.users().filter(pk=two_factor_pending_user_id(request), is_active=True).first()
        if self.user is None:
            request.session.pop(PENDING_USER, None)  # e.g. deactivated meanwhile: start over
            return redirect("login")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if (device := authenticator_for_enrolment(self.user)) is not None:
            context.update(enrolment_context(device, issuer=self.issuer))
        return context

    def form_valid(self, form):
        address = client_address(self.request)
        try:
            device = two_factor_verify(user=self.user, code=form.cleaned_data["code"], address=address,
                                       on_lockout=lambda: self.lockout_record(address=address))
        except Throttled as throttled:
            form.add_error("code", CODE_PAUSED % {"minutes": throttled.minutes})
            form.retry_after = throttled.retry_after
            return self.form_invalid(form)
        if device is None:
            form.add_error("code", CODE_WRONG)
            return self.form_invalid(form)
        login(self.request, self.user, backend="django.contrib.auth.backends.ModelBackend")
        otp_login(self.request, device)
        self.signed_in_record()
        next_url = self.request.GET.get("next", "")
        safe = url_has_allowed_host_and_scheme(next_url, allowed_hosts={self.request.get_host()},
                                               require_https=self.request.is_secure())
        return redirect(next_url if safe else self.default_url())
