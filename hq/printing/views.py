"""The operator's print order pages on the apex host: a new order for a merchant, its next step
(with a confirmation before the steps that cannot be undone), and its print files, built by a task
with their progress and downloaded under readable names."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from hq.access import OperatorRequiredMixin
from hq.models import PrintOrder
from hq.printing import selectors, services
from hq.printing.forms import PrintOrderForm, PrintOrderStepForm
from tenants.forms import errors_text
from tenants.selectors import merchant_list

TEMPLATES = "hq/printing/"


def _errors_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _order(pk: int) -> PrintOrder:
    return get_object_or_404(PrintOrder.objects.select_related("merchant"), pk=pk)


def _back_to_merchant(order_or_merchant_pk: int):
    return redirect(reverse("merchant-detail", args=[order_or_merchant_pk]) + "#print-orders")


class PrintOrderCreateView(OperatorRequiredMixin, View):
    """A new draft for the merchant; nothing is allocated until it is submitted."""

    def post(self, request, merchant):
        merchant = get_object_or_404(merchant_list(), pk=merchant)
        form = PrintOrderForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, errors_text(form))
            return _back_to_merchant(merchant.pk)
        try:
            order = services.print_order_create(merchant=merchant, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, _errors_text(error))
        else:
            messages.success(request, _("Print order #%(number)d was created as a draft.") % {"number": order.pk})
        return _back_to_merchant(merchant.pk)


class PrintOrderStepView(OperatorRequiredMixin, View):
    """The order's next step. Submitting and delivery cannot be undone: they are confirmed first
    on a page of their own (GET, or a POST without `confirmed`)."""

    def get(self, request, pk):
        order = _order(pk)
        if order.next_status is None:
            return _back_to_merchant(order.merchant_id)
        return self.confirmation(request, order, order.next_status)

    def post(self, request, pk):
        order = _order(pk)
        form = PrintOrderStepForm(request.POST)
        if not form.is_valid():
            return self.confirmation(request, order, order.next_status, status=400)
        to_status = form.cleaned_data["to_status"]
        if order.next_status == to_status and order.next_step_is_final and not form.cleaned_data["confirmed"]:
            return self.confirmation(request, order, to_status)
        try:
            order = services.print_order_step(order=order, to_status=to_status, actor=request.user)
        except ValidationError as error:
            messages.error(request, _errors_text(error))
        else:
            messages.success(request, _("Print order #%(number)d: %(status)s.")
                             % {"number": order.pk, "status": order.get_status_display()})
        return _back_to_merchant(order.merchant_id)

    def confirmation(self, request, order, to_status, status=200):
        return render(request, TEMPLATES + "confirm_step.html", {
            "order": order, "to_status": to_status, "to_status_label": PrintOrder.Status(to_status).label
            if to_status else "", "merchant": order.merchant,
        }, status=status)


class PrintFilesStartView(OperatorRequiredMixin, View):
    """Start building the print files (a second start while they are built does nothing)."""

    def post(self, request, pk):
        order = _order(pk)
        try:
            _job, started = services.print_files_start(order=order, actor=request.user)
        except ValidationError as error:
            messages.error(request, _errors_text(error))
        else:
            if started:
                messages.success(request, _("The print files of order #%(number)d are being built.")
                                 % {"number": order.pk})
            else:
                messages.info(request, _("The print files of order #%(number)d are being built already or done.")
                              % {"number": order.pk})
        return _back_to_merchant(order.merchant_id)


class PrintFilesStatusView(OperatorRequiredMixin, View):
    """The progress as JSON, for the page's progress bar (static/js/progress.js)."""

    def get(self, request, pk):
        order = _order(pk)
        progress = selectors.print_files_progress(order=order)
        for file in progress["files"]:
            file["url"] = reverse("printing:file", args=[order.pk, file["part"]])
        return JsonResponse(progress)


class PrintFileDownloadView(OperatorRequiredMixin, View):
    """A stored print file, named after the merchant, the quantity and the part."""

    def get(self, request, pk, part):
        return print_file_response(_order(pk), part)


def print_file_response(order: PrintOrder | None, part: int) -> FileResponse:
    """A built print file of the order as a download under its readable name; 404 otherwise."""
    print_file = selectors.print_file_of(order=order, part=part) if order is not None else None
    if print_file is None:
        raise Http404("That print file has not been built.")
    return FileResponse(print_file.file.open("rb"), content_type="application/pdf", as_attachment=True,
                        filename=selectors.print_file_name(order=order, part=part))
