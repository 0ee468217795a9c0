"""Who may use the operator console: the operator's staff, signed in with both factors. Shared by
the console's views and billing's (which must not import each other's views)."""
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin

# Set in the session once the second factor was accepted (hq.views.TwoFactorView).
VERIFIED = "two_factor_verified"


class OperatorRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Only the operator's staff, signed in with both factors."""

    def test_func(self):
        return self.request.user.is_staff and self.request.session.get(VERIFIED) is True
