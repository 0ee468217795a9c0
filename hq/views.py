"""The operator console on the apex host: sign-in with a second factor, merchants, their contract and\nlicence, onboarding."""
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from billing.selectors import invoice_preview, invoices_for_merchant
from hq import forms as hq_forms
from hq.access import OperatorRequiredMixin
from hq.audit import operator_audit, operator_audit_for_merchant
from hq.models import Contract
from hq.onboarding import merchant_onboard
from hq.services import (
    contract_notice_end,
    contract_notice_give,
    contract_notice_withdraw,
    contract_notice_withdrawable,
    contract_terms_without_notice,
    licence_change_preview,
    terminal_license_change,
)
from tenants.accounts.forms import ThrottledAuthenticationForm, ThrottledLoginMixin
from tenants.accounts.models import User
from tenants.accounts.views import TwoFactorStepView, two_factor_pending
from tenants.models import Merchant
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


def _merchant(pk) -> Merchant:
    return get_object_or_404(merchant_list(), pk=pk)


class MerchantDetailView(OperatorRequiredMixin, DetailView):
    """A merchant's page. Its forms post to the views below; a form with errors comes back here
    as typed, with its errors."""

    template_name = "hq/merchant_detail.html"
    context_object_name = "merchant"

    def get_object(self):
        return _merchant(self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        merchant = self.object
        today = timezone.localdate()
        contract = getattr(merchant, "contract", None)
        return super().get_context_data(
            today=today,
            licence_form=kwargs.pop("licence_form", None) or hq_forms.LicenceChangeForm(today=today),
            notice_form=kwargs.pop("notice_form", None) or hq_forms.NoticeForm(),
            notice_withdrawable=contract is not None and contract_notice_withdrawable(contract=contract, today=today),
            licences=merchant.terminal_licenses.order_by("-effective_month", "-id"),
            invoices=invoices_for_merchant(merchant=merchant),
            next_invoice=invoice_preview(merchant=merchant, month=today),  # billed on the 1st of the next
            audit_log=operator_audit_for_merchant(merchant=merchant),
            **kwargs,
        )


class MerchantActionView(OperatorRequiredMixin, View):
    """One write on a merchant's page. What cannot be undone is asked again first: the page shows
    what will happen, and the same data posted with `confirmed` does it."""

    form_class = None
    form_name = ""  # the form's name on the merchant's page
    confirm_label = ""  # the confirmation's button

    def post(self, request, pk):
        self.merchant = _merchant(pk)
        form = self.get_form()
        if not form.is_valid():
            detail = MerchantDetailView()
            detail.setup(request, pk=pk)
            detail.object = self.merchant
            return detail.render_to_response(detail.get_context_data(**{self.form_name: form}))
        question = self.confirmation(form.cleaned_data)
        if question and not request.POST.get("confirmed"):
            return render(request, "hq/confirm.html", {
                "merchant": self.merchant, "question": question, "action": request.path,
                "fields": [(name, value) for name, value in request.POST.items()
                           if name not in ("csrfmiddlewaretoken", "confirmed")],
                "confirm_label": self.confirm_label,
            })
        try:
            message = self.perform(form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, message)
        return redirect("merchant-detail", pk=self.merchant.pk)

    def get_form(self):
        return self.form_class(self.request.POST)

    def confirmation(self, data) -> str:
        """The question to ask before doing it, or "" to do it at once."""
        return ""

    def perform(self, data) -> str:
        raise NotImplementedError


class LicenceChangeView(MerchantActionView):
    form_class = hq_forms.LicenceChangeForm
    form_name = "licence_form"
    confirm_label = gettext_lazy("Reduce the licence")

    def confirmation(self, data):
        change = licence_change_preview(merchant=self.merchant, count=data["count"],
                                        effective_on=data["effective_on"])
        if not change.is_cut:
            return ""
        return _("Reduce %(name)s from %(before)s to %(after)s terminals from %(day)s? Tills beyond "
                 "%(after)s can no longer book from that day.") % {
            "name": self.merchant.name, "before": change.before, "after": change.after,
            "day": date_format(change.month, "DATE_FORMAT")}

    def perform(self, data):
        change = terminal_license_change(merchant=self.merchant, actor=self.request.user, **data)
        return _("From %(day)s: %(count)s terminals.") % {
            "day": date_format(change.effective_month, "DATE_FORMAT"), "count": change.count}


class NoticeView(MerchantActionView):
    form_class = hq_forms.NoticeForm
    form_name = "notice_form"
    confirm_label = gettext_lazy("Record notice")

    def confirmation(self, data):
        contract = get_object_or_404(Contract, merchant=self.merchant)
        return _("Record the notice of %(name)s, received on %(given)s? The contract then ends on "
                 "%(end)s.") % {"name": self.merchant.name, "given": date_format(data["given_on"], "DATE_FORMAT"),
                                "end": date_format(contract_notice_end(contract=contract, given_on=data["given_on"]),
                                                   "DATE_FORMAT")}

    def perform(self, data):
        contract = contract_notice_give(contract=self.merchant.contract, actor=self.request.user, **data)
        return _("The notice was recorded: the contract ends on %(end)s.") % {
            "end": date_format(contract.terms.final_end(), "DATE_FORMAT")}


class NoticeWithdrawView(MerchantActionView):
    form_class = forms.Form
    confirm_label = gettext_lazy("Withdraw notice")

    def confirmation(self, data):
        terms = contract_terms_without_notice(contract=get_object_or_404(Contract, merchant=self.merchant))
        today = timezone.localdate()
        return _("Withdraw the notice of %(name)s? The contract then runs until %(end)s and renews unless "
                 "notice is given by %(deadline)s.") % {
            "name": self.merchant.name, "end": date_format(terms.current_end(today), "DATE_FORMAT"),
            "deadline": date_format(terms.notice_deadline(today), "DATE_FORMAT")}

    def perform(self, data):
        contract = contract_notice_withdraw(contract=self.merchant.contract, actor=self.request.user)
        return _("The notice was withdrawn: the contract runs until %(end)s and renews unless notice is "
                 "given by %(deadline)s.") % {
            "end": date_format(contract.ends_on(timezone.localdate()), "DATE_FORMAT"),
            "deadline": date_format(contract.notice_deadline(timezone.localdate()), "DATE_FORMAT")}


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


