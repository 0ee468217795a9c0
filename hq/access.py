"""Who may use the operator console: the operator's staff, signed in with both factors (the second
on django-otp). Shared by the console's views and billing's (which must not import each other's)."""
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin


class OperatorRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Only the operator's staff, signed in with both factors."""

    def test_func(self):
        user = self.request.user
        return user.is_staff and user.is_verified()
