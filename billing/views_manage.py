"""The merchant's billing page in its back office (owner only): invoices and cancellations with their
PDFs and e-invoice XML, the payment method and its set-up on Stripe's page, the terminal licence's history and the
contract's dates. It lives in billing because the merchant side (loyalty) must not import billing."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views import View

from billing.errors import BillingError
from billing.forms import PaymentMethodChoiceForm
from billing.responses import (
    invoice_pdf_response,
    invoice_with_pdf_or_404,
    invoice_xml_response,
    redirect_see_other,
)
from billing.selectors import (
    billing_account_for,
    contract_for,
    invoices_for_merchant,
    invoices_in_arrears,
    licence_history,
    merchant_arrears_cents,
)
from billing.services import payment_method_checkout_start
from tenants.forms import errors_text


class OwnerRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Only the merchant's owner: billing is the contract's business, not the shop floor's."""

    def test_func(self):
        return self.request.user.is_superuser


def owner_actor(request) -> str:
    """The owner as the operator's audit log names them: the merchant's users are not the operator's."""
    return f"owner:{request.user.email}"


class BillingPageView(OwnerRequiredMixin, View):
    def get(self, request):
        merchant = request.tenant
        return render(request, "billing/manage/billing.html", {
            "account": billing_account_for(merchant=merchant),
            "invoices": invoices_for_merchant(merchant=merchant),
            "arrears": invoices_in_arrears(merchant=merchant),
            "arrears_cents": merchant_arrears_cents(merchant=merchant),
            "licences": licence_history(merchant=merchant, today=timezone.localdate()),
            "contract": contract_for(merchant=merchant),
            "checkout": request.GET.get("checkout", ""),
        })


class CheckoutStartView(OwnerRequiredMixin, View):
    """To Stripe's page (303), which collects a SEPA mandate or a card and sends the owner back."""

    def post(self, request):
        form = PaymentMethodChoiceForm(request.POST)
        page = request.build_absolute_uri(reverse("billing_manage:home"))
        if not form.is_valid():
            messages.error(request, errors_text(form))
            return redirect("billing_manage:home")
        try:
            url = payment_method_checkout_start(
                merchant=request.tenant, payment_method_type=form.cleaned_data["payment_method_type"],
                success_url=f"{page}?checkout=done", cancel_url=f"{page}?checkout=cancelled",
                locale=translation.get_language() or "de", actor=owner_actor(request),
            )
        except BillingError as error:
            messages.error(request, str(error))
            return redirect("billing_manage:home")
        return redirect_see_other(url)


class InvoicePdfView(OwnerRequiredMixin, View):
    def get(self, request, pk):
        return invoice_pdf_response(invoice_with_pdf_or_404(pk=pk, merchant=request.tenant), as_attachment=True)


class InvoiceXmlView(OwnerRequiredMixin, View):
    """The e-invoice alone (EN 16931 CII), for bookkeeping software that wants the XML."""

    def get(self, request, pk):
        return invoice_xml_response(invoice_with_pdf_or_404(pk=pk, merchant=request.tenant))
