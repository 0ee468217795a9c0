"""The operator's print order pages: the print-ready PDF files of an order."""
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views import View

from hq.access import OperatorRequiredMixin
from hq.models import PrintOrder
from hq.printing.pdf import print_order_pdf


class PrintOrderPdfView(OperatorRequiredMixin, View):
    def get(self, request, pk, file):
        order = get_object_or_404(PrintOrder.objects.select_related("merchant"), pk=pk)
        if file not in order.print_files:
            raise Http404("No such print file: a draft has none, an order has one per 400 cards.")
        response = HttpResponse(print_order_pdf(order=order, file=file), content_type="application/pdf")
        filename = f"print-order-{order.pk}-{order.merchant.schema_name}-{file}.pdf"
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response
