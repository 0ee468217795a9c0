"""“Karten nachbestellen” in the merchant's back office (merchant host, /manage/cards/): the
merchant's print orders with their steps and dates, the reorder hint, a reorder request that the
operator is told about, and the print files of its own orders. In the hq package because the
orders are the operator's rows (public schema), and loyalty must not import hq."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from hq.printing import selectors, services
from hq.printing.forms import REORDER_MINIMUM_QUANTITY, CardReorderForm
from hq.printing.views import print_file_response

# Ordering cards goes with the till's equipment: whoever may manage the terminals (the owner, and
# managers by default) may reorder the blank cards handed out there. Cashiers may not.
REORDER_PERMISSIONS = ("loyalty.use_back_office", "loyalty.add_terminal")


class CardOrdersView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = REORDER_PERMISSIONS

    def get(self, request, form=None, status=200):
        merchant = request.tenant
        reorder = selectors.reorder_suggestion(merchant=merchant)
        initial = {"quantity": max(reorder["quantity"], REORDER_MINIMUM_QUANTITY)} if reorder else None
        return render(request, "hq/printing/manage/cards.html", {
            "rows": selectors.print_order_rows(merchant=merchant),
            "reorder": reorder,
            "blank_cards": reorder["blank_cards"] if reorder else selectors.blank_card_count(merchant=merchant),
            "form": form or CardReorderForm(initial=initial),
        }, status=status)

    def post(self, request):
        form = CardReorderForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        try:
            order = services.print_order_request(merchant=request.tenant, requested_by=request.user.email,
                                                 **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.get(request, form=form, status=400)
        messages.success(request, _("Thank you: we have your order of %(quantity)s cards and will confirm it "
                                    "with a delivery date.") % {"quantity": order.quantity})
        return redirect("cards:orders")


class CardOrderFileView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """A print file of one of the merchant's own orders (to check the proof): anyone else's is 404."""

    permission_required = REORDER_PERMISSIONS

    def get(self, request, pk, part):
        return print_file_response(selectors.print_order_for_merchant(merchant=request.tenant, pk=pk), part)
