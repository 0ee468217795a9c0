"""Back-office pages for a merchant's owner and managers."""
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpResponse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from loyalty.actors import Actor
from loyalty.overview import shop_overview
from loyalty.services.audit import audit_record
from loyalty.services.exports import merchant_export
from tenants.accounts.forms import ThrottledAuthenticationForm, ThrottledLoginMixin


class ManageLoginForm(ThrottledAuthenticationForm):
    def lockout_record(self, *, email: str, address: str) -> None:
        audit_record(actor=Actor(label="back-office sign-in"), action="throttled.wrong-passwords",
                     account=email, address=address)


class ManageLoginView(ThrottledLoginMixin, auth_views.LoginView):
    template_name = "loyalty/manage/login.html"
    redirect_authenticated_user = True
    authentication_form = ManageLoginForm


class ExportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The merchant's whole data as a download; works after the contract's end, too."""

    permission_required = "loyalty.view_cardholder"

    def get(self, request):
        content = merchant_export(actor=Actor(user=request.user))
        filename = f"{request.tenant.schema_name}-{timezone.localdate():%Y-%m-%d}.zip"
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class InvitationView(auth_views.PasswordResetConfirmView):
    """The owner's (or a colleague's) first password, from the link in the invitation e-mail."""

    template_name = "loyalty/manage/invitation.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = "/manage/"


class DashboardView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = "loyalty.use_back_office"
    template_name = "loyalty/manage/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**shop_overview(self.request.user), **kwargs)


class AreaPlaceholderView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Stands for an area's pages until they are built; replaced by each area's own views."""

    template_name = "loyalty/manage/dashboard.html"
