"""The operator console on the apex host: sign-in with a second factor, merchants, onboarding."""
import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, ListView
from django_otp import login as otp_login

from billing.selectors import invoices_for_merchant
from hq import forms as hq_forms
from hq.access import OperatorRequiredMixin
from hq.audit import operator_audit, operator_audit_for_merchant
from hq.onboarding import merchant_onboard
from hq.printing.selectors import print_orders_for_merchant, reorder_suggestion
from hq.services import contract_notice_give, terminal_license_change
from tenants.accounts.forms import ThrottledAuthenticationForm, ThrottledLoginMixin
from tenants.accounts.models import User
from tenants.accounts.services import authenticator_for_enrolment, two_factor_verify
from tenants.selectors import merchant_list
from tenants.throttling import Throttled, client_address

PENDING_USER = "two_factor_pending_user"
CODE_PAUSED = gettext_lazy("Too many wrong codes. Code entry is paused for this account here: "
                           "please try again in %(minutes)s min.")


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
        self.request.session.cycle_key()
        self.request.session[PENDING_USER] = user.pk
        return redirect(f"{reverse('two-factor')}?next={self.get_redirect_url() or reverse('home')}")


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code from your authenticator app"), max_length=8,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                         "inputmode": "numeric", "autofocus": True}))


class TwoFactorView(ThrottledLoginMixin, FormView):
    """Step two: the code from the authenticator app (django-otp); on the first sign-in, the app is
    set up with a QR code. The key is kept in the database, encrypted, never in the session."""

    template_name = "hq/two_factor.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        self.user = User.objects.filter(pk=request.session.get(PENDING_USER), is_active=True, is_staff=True).first()
        if self.user is None:
            return redirect("login")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if (device := authenticator_for_enrolment(self.user)) is not None:
            url = device.config_url()
            context.update(enrolling=True, secret=device.base32_key, uri=url,
                           qr_code=mark_safe(segno.make(url, error="m").svg_inline(scale=4, omitsize=True)))
        return context

    def form_valid(self, form):
        address = client_address(self.request)
        try:
            device = two_factor_verify(
                user=self.user, code=form.cleaned_data["code"], address=address,
                on_lockout=lambda: operator_audit(actor=self.user, action="two_factor.paused",
                                                  after={"address": address}))
        except Throttled as throttled:
            form.add_error("code", CODE_PAUSED % {"minutes": throttled.minutes})
            form.retry_after = throttled.retry_after
            return self.form_invalid(form)
        if device is None:
            form.add_error("code", _("This code is not valid. Please enter the current code."))
            return self.form_invalid(form)
        login(self.request, self.user, backend="django.contrib.auth.backends.ModelBackend")
        otp_login(self.request, device)
        next_url = self.request.GET.get("next", "")
        safe = url_has_allowed_host_and_scheme(next_url, allowed_hosts={self.request.get_host()},
                                               require_https=self.request.is_secure())
        return redirect(next_url if safe else "home")


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


