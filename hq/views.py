"""The operator console on the apex host."""
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.views.generic import ListView

from tenants.selectors import merchant_list


class OperatorLoginView(auth_views.LoginView):
    template_name = "hq/login.html"
    redirect_authenticated_user = True


class OperatorRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Only the operator's staff (users of the public schema with is_staff) get in."""

    def test_func(self):
        return self.request.user.is_staff


class MerchantListView(OperatorRequiredMixin, ListView):
    template_name = "hq/merchant_list.html"
    context_object_name = "merchants"

    def get_queryset(self):
        return merchant_list(search=self.request.GET.get("q", "").strip())
