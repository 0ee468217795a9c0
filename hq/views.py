"""The operator console on the apex host: sign-in with a second factor, merchants, onboarding."""
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, ListView

from billing.selectors import invoices_for_merchant
from hq import forms as hq_forms
from hq.access import VERIFIED, OperatorRequiredMixin
from hq.onboarding import merchant_onboard
from hq.printing.selectors import print_orders_for_merchant, reorder_suggestion
from hq.services import contract_notice_give, terminal_license_change
from tenants.accounts.models import User
from tenants.accounts.services import two_factor_verify
from tenants.accounts.totp import totp_secret_new, totp_uri
from tenants.selectors import merchant_list

PENDING_USER = "two_factor_pending_user"
ENROLMENT_SECRET = "two_factor_enrolment_secret"


class OperatorLoginView(auth_views.LoginView):
    """Step one: e-mail and password. The session is not signed in until the second factor."""

    template_name = "hq/login.html"
    redirect_authenticated_user = True

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


class TwoFactorView(FormView):
    """Step two: the code from the authenticator app; on first sign-in, set the app up."""

    template_name = "hq/two_factor.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        self.user = User.objects.filter(pk=request.session.get(PENDING_USER), is_active=True, is_staff=True).first()
        if self.user is None:
            return redirect("login")
        if not self.user.totp_secret and ENROLMENT_SECRET not in request.session:
            request.session[ENROLMENT_SECRET] = totp_secret_new()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        secret = self.request.session.get(ENROLMENT_SECRET) if not self.user.totp_secret else None
        uri = totp_uri(secret, account=self.user.email) if secret else None
        return super().get_context_data(enrolling=bool(secret), secret=secret, uri=uri, **kwargs)

    def form_valid(self, form):
        secret = None if self.user.totp_secret else self.request.session.get(ENROLMENT_SECRET)
        if not two_factor_verify(user=self.user, code=form.cleaned_data["code"], secret=secret):
            form.add_error("code", _("This code is not valid. Please enter the current code."))
            return self.form_invalid(form)
        login(self.request, self.user, backend="django.contrib.auth.backends.ModelBackend")
        self.request.session[VERIFIED] = True
        next_url = self.request.GET.get("next", "")
        return redirect(next_url if next_url.startswith("/") and not next_url.startswith("//") else "home")


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


