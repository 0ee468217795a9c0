"""Reads about print orders: a merchant's orders with their steps and print files, the next free
serial, the cards of an order, and whether it is time to reorder blank cards."""
import datetime
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import tenant_context

from hq.models import PrintFile, PrintJob, PrintOrder
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
# An order that is not delivered yet, a draft included (the merchant's own request is one): while
# one is open, reordering is under way and no hint is shown.
OPEN = (PrintOrder.Status.DRAFT, *ON_THE_WAY)


def print_orders_for_merchant(*, merchant: Merchant) -> QuerySet[PrintOrder]:
    return (PrintOrder.objects.filter(merchant=merchant)
            .select_related("created_by", "ordered_by", "in_production_by", "shipped_by", "delivered_by")
            .order_by("-created_at", "-id"))


def print_order_for_merchant(*, merchant: Merchant, pk: int) -> PrintOrder | None:
    """One of the merchant's own orders, None for anyone else's."""
    return print_orders_for_merchant(merchant=merchant).filter(pk=pk).first()


@dataclass(frozen=True)
class Step:
    status: str
    label: str
    at: datetime.datetime | None
    by: str
    reached: bool


def print_order_steps(*, order: PrintOrder) -> list[Step]:
    """Every step from draft to delivered: when the order reached it and who moved it there."""
    steps = list(PrintOrder.Status)
    reached = steps.index(order.status)
    return [Step(status=status.value, label=status.label, at=order.reached_at(status) if index <= reached else None,
                 by=order.reached_by(status) if index <= reached else "", reached=index <= reached)
            for index, status in enumerate(steps)]


def _file_name_safe(text: str) -> str:
    # A merchant's name is free text: no path separators or control characters in a file name.
    return " ".join(re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', " ", text).split()) or "Stammkunde"


def print_file_name(*, order: PrintOrder, part: int) -> str:
    """The download's name, e.g. "Bäckerei Probe – 500 Karten – Teil 1 von 2.pdf"."""
    parts = len(order.print_files)
    cards = ngettext("%(quantity)s card", "%(quantity)s cards", order.quantity) % {
        "quantity": number_format(order.quantity, force_grouping=True)}
    return _("%(merchant)s – %(cards)s – part %(part)d of %(parts)d.pdf") % {
        "merchant": _file_name_safe(order.merchant.name), "cards": cards, "part": part, "parts": parts}


def print_file_of(*, order: PrintOrder, part: int) -> PrintFile | None:
    return PrintFile.objects.filter(order=order, part=part).first()


def print_files_progress(*, order: PrintOrder) -> dict:
    """Where the building of the order's print files stands, for the console's progress bar."""
    job = PrintJob.objects.filter(order=order).first()
    files = list(PrintFile.objects.filter(order=order).order_by("part"))
    total = len(order.print_files)
    status = job.status if job is not None else ""
    return {
        "status": status,
        "status_text": job.get_status_display() if job is not None else "",
        "files_done": len(files),
        "files_total": total,
        "percent": math.floor(100 * len(files) / total) if total else 0,
        "error": job.error if job is not None else "",
        "busy": job is not None and job.busy,
        "finished": job is None or not job.busy,
        "files": [{"part": file.part, "name": print_file_name(order=order, part=file.part), "size": file.size}
                  for file in files],
    }


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
    """A reorder hint when the blank cards run low and no order is open (asked for, or on its way),
    else None."""
    orders = PrintOrder.objects.filter(merchant=merchant)
    if orders.filter(status__in=OPEN).exists():
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


def print_order_rows(*, merchant: Merchant) -> list[dict]:
    """The merchant's orders, newest first, each with its steps and (once submitted) its print files."""
    return [{"order": order, "steps": print_order_steps(order=order),
             "progress": print_files_progress(order=order) if order.serials else None}
            for order in print_orders_for_merchant(merchant=merchant)]
