"""Reads about print orders: a merchant's orders, the next free serial, the cards of an order, and
whether it is time to reorder blank cards."""
import datetime
import math

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils.translation import ngettext
from django_tenants.utils import tenant_context

from hq.models import PrintOrder
from hq.printing.workdays import add_working_days
from loyalty.cardnumbers import card_number_from_serial
from loyalty.selectors import blank_card_count as merchant_blank_card_count
from loyalty.selectors import cards_in_number_range, highest_card_serial
from tenants.models import Merchant

REORDER_MINIMUM_STOCK = 50
REORDER_STOCK_SHARE_PERCENT = 20  # of the last delivered order
REORDER_DEFAULT_QUANTITY = 500
# The seed FAQ promises everything within 18 working days of the order.
DEFAULT_DELIVERY_WORKING_DAYS = 18
ON_THE_WAY = (PrintOrder.Status.ORDERED, PrintOrder.Status.IN_PRODUCTION, PrintOrder.Status.SHIPPED)


def print_orders_for_merchant(*, merchant: Merchant) -> QuerySet[PrintOrder]:
    return PrintOrder.objects.filter(merchant=merchant).order_by("-created_at", "-id")


def delivery_estimate(*, ordered_on: datetime.date) -> datetime.date:
    working_days = getattr(settings, "PRINT_ORDER_WORKING_DAYS", DEFAULT_DELIVERY_WORKING_DAYS)
    return add_working_days(ordered_on, working_days)


def next_free_serial(*, merchant: Merchant) -> int:
    """The first serial after every allocated range and every card the merchant already has
    (cards made outside print orders, e.g. the demo seed's). Only stable under the merchant lock
    that print_order_submit holds."""
    allocated_end = PrintOrder.objects.filter(merchant=merchant).aggregate(end=Max("serials__endswith"))["end"]
    with tenant_context(merchant):
        highest = highest_card_serial()
    return max(allocated_end or 1, highest + 1 if highest else 1)


def print_order_cards(*, order: PrintOrder, first_serial: int, last_serial: int) -> list:
    """The order's cards with serials first..last, read from the merchant's schema, in number order."""
    if order.serials is None or not order.first_serial <= first_serial <= last_serial <= order.last_serial:
        raise ValueError("Those serials are not the order's.")
    with tenant_context(order.merchant):
        return cards_in_number_range(card_number_from_serial(first_serial),
                                     card_number_from_serial(last_serial))


def blank_card_count(*, merchant: Merchant) -> int:
    with tenant_context(merchant):
        return merchant_blank_card_count()


def reorder_suggestion(*, merchant: Merchant) -> dict | None:
    """A reorder hint when the blank cards run low and no order is on its way, else None."""
    orders = PrintOrder.objects.filter(merchant=merchant)
    if orders.filter(status__in=ON_THE_WAY).exists():
        return None
    last = orders.filter(status=PrintOrder.Status.DELIVERED).order_by("-delivered_at", "-id").first()
    threshold = REORDER_MINIMUM_STOCK
    if last is not None:
        threshold = max(threshold, math.ceil(last.quantity * REORDER_STOCK_SHARE_PERCENT / 100))
    blank_cards = blank_card_count(merchant=merchant)
    if blank_cards >= threshold:
        return None
    quantity = last.quantity if last is not None else REORDER_DEFAULT_QUANTITY
    reason = ngettext(
        "Only %(count)d blank card left (fewer than %(threshold)d): time to reorder %(quantity)d.",
        "Only %(count)d blank cards left (fewer than %(threshold)d): time to reorder %(quantity)d.",
        blank_cards,
    ) % {"count": blank_cards, "threshold": threshold, "quantity": quantity}
    return {"blank_cards": blank_cards, "threshold": threshold, "quantity": quantity, "reason": reason}
