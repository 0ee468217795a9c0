"""The sign-in forms of the back office and the operator's console: Django's, with its password
checked under the one failure throttle (tenants.accounts.services.password_check), and the
second step's code."""
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy

from tenants.accounts.services import PASSWORDS_PAUSED, password_check
from tenants.throttling import Throttled, client_address


class ThrottledAuthenticationForm(AuthenticationForm):
    # Set when the throttle refused: the view answers 429 with Retry-After.
    retry_after: int | None = None

    def lockout_record(self, *, email: str, address: str) -> None:
        """Write the lock-out down in the host's audit log (the views' own subclasses do)."""

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is None or not password:
            return self.cleaned_data
        address = client_address(self.request) if self.request is not None else ""
        try:
            user = password_check(email=email, password=password, address=address,
                                  on_lockout=lambda: self.lockout_record(email=email, address=address))
        except Throttled as throttled:
            self.retry_after = throttled.retry_after
            raise forms.ValidationError(PASSWORDS_PAUSED % {"minutes": throttled.minutes}, code="throttled") from None
        if user is None:
            raise self.get_invalid_login_error()
        self.user_cache = user
        self.confirm_login_allowed(user)
        return self.cleaned_data


class ThrottledLoginMixin:
    """For a sign-in step's form view: a form whose `retry_after` the throttle set (as
    ThrottledAuthenticationForm does) answers 429 with Retry-After."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(form, "retry_after", None):
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code from your authenticator app"), max_length=8,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                         "inputmode": "numeric", "autofocus": True}))
