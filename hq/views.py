"""The operator console on the apex host: sign-in with a second factor, merchants, onboarding."""
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView

from billing.selectors import invoices_for_merchant
from hq import forms as hq_forms
from hq.access import OperatorRequiredMixin
from hq.audit import operator_audit, operator_audit_for_merchant
from hq.onboarding import merchant_onboard
from hq.printing.selectors import print_orders_for_merchant, reorder_suggestion
from hq.services import contract_notice_give, terminal_license_change
from tenants.accounts.forms import ThrottledAuthenticationForm, ThrottledLoginMixin
from tenants.accounts.models import User
from tenants.accounts.views import TwoFactorStepView, two_factor_pending
from tenants.selectors import merchant_list


class OperatorLoginForm(ThrottledAuthenticationForm):
    def lockout_record(self, *, email: str, address: str) -> None:
        operator_audit(actor="sign-in", action="sign_in.paused", after={"account": email, "address": address})


class OperatorLoginView(ThrottledLoginMixin, auth_views.LoginView):
    """Step one: e-mail and password. The session is not signed in until the second factor."""

    template_name = "hq/login.html"
    redirect_authenticated_user = True
    authentication_form = OperatorLoginForm

    def form_valid(self, form):
        user = form.get_user()
        if not user.is_staff:
            form.add_error(None, _("This sign-in is for the operator's staff only."))
            return self.form_invalid(form)
        return two_factor_pending(self.request, user, next_url=self.get_redirect_url() or reverse("home"))


class TwoFactorView(TwoFactorStepView):
    """Step two: the authenticator's code (tenants.accounts.views), for operator staff only."""

    template_name = "hq/two_factor.html"

    def users(self):
        return User.objects.filter(is_staff=True)

    def lockout_record(self, *, address: str) -> None:
        operator_audit(actor=self.user, action="two_factor.paused", after={"address": address})


class MerchantListView(OperatorRequiredMixin, ListView):
    template_name = "hq/merchant_list.html"
    context_object_name = "merchants"

    def get_queryset(self):
        return merchant_list(search=self.request.GET.get("q", "").strip())


class MerchantDetailView(OperatorRequiredMixin, DetailView):
    template_name = "hq/merchant_detail.html"
    context_object_name = "merchant"

    def get_object(self):
        return get_object_or_404(merchant_list(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        merchant = self.object
        return super().get_context_data(
            today=timezone.localdate(),
            licence_form=hq_forms.LicenceChangeForm(),
            notice_form=hq_forms.NoticeForm(),
            licences=merchant.terminal_licenses.order_by("-effective_month", "-id"),
            print_orders=print_orders_for_merchant(merchant=merchant),
            reorder=reorder_suggestion(merchant=merchant),
            invoices=invoices_for_merchant(merchant=merchant),
            audit_log=operator_audit_for_merchant(merchant=merchant),
            **kwargs,
        )

    def post(self, request, pk):
        merchant = self.get_object()
        if "count" in request.POST:
            form = hq_forms.LicenceChangeForm(request.POST)
            if form.is_valid():
                terminal_license_change(merchant=merchant, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The terminal licence was changed."))
        else:
            form = hq_forms.NoticeForm(request.POST)
            if form.is_valid() and hasattr(merchant, "contract"):
                contract_notice_give(contract=merchant.contract, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The notice was recorded."))
        if not form.is_valid():
            messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("merchant-detail", pk=merchant.pk)


class OnboardingView(OperatorRequiredMixin, FormView):
    template_name = "hq/onboarding.html"
    form_class = hq_forms.OnboardingForm

    def form_valid(self, form):
        try:
            merchant = merchant_onboard(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("subdomain" if getattr(error, "code", "").startswith("subdomain") else None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(name)s is set up; the owner has been sent an invitation.")
                         % {"name": merchant.name})
        return redirect("merchant-detail", pk=merchant.pk)


