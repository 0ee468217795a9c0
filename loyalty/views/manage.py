"""Back-office pages for a merchant's owner and managers."""
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from loyalty.selectors import card_counts_by_status


class ManageLoginView(auth_views.LoginView):
    template_name = "loyalty/manage/login.html"
    redirect_authenticated_user = True


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "loyalty/manage/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(card_counts=card_counts_by_status(), **kwargs)
