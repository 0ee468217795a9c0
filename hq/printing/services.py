"""Print order writes: create a draft, submit it (allocate the serials, make the blank cards in the
merchant's schema), and move it on towards delivery."""
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.backends.postgresql.psycopg_any import NumericRange
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from hq.audit import operator_audit
from hq.models import PrintOrder
from hq.printing.selectors import delivery_estimate, next_free_serial
from loyalty.actors import Actor
from loyalty.services.cards import cards_create_range
from tenants.models import Merchant

Status = PrintOrder.Status
STEPS = [Status.DRAFT, Status.ORDERED, Status.IN_PRODUCTION, Status.SHIPPED, Status.DELIVERED]
REACHED_AT = {Status.ORDERED: "ordered_at", Status.IN_PRODUCTION: "in_production_at",
              Status.SHIPPED: "shipped_at", Status.DELIVERED: "delivered_at"}
CARDS_ACTOR = Actor.system("print-order")


@transaction.atomic
def print_order_create(*, merchant: Merchant, quantity: int, layout: str, design: File | None = None,
                       actor) -> PrintOrder:
    """A draft order: nothing is allocated or printed until it is submitted."""
    order = PrintOrder(merchant=merchant, quantity=quantity, layout=layout, created_by=actor)
    if design is not None:
        order.design = design
    order.full_clean()
    order.save()
    operator_audit(actor=actor, action="print_order.create", merchant=merchant, target=order,
                   after={"quantity": quantity, "layout": layout, "design": bool(design)})
    return order


@transaction.atomic
def print_order_submit(*, order: PrintOrder, actor) -> PrintOrder:
    """Order the cards: allocate the next free serials, estimate the delivery, and create the
    blank cards (each with its activation code) in the merchant's schema."""
    # The merchant row is the lock that puts one merchant's allocations in a row; NO KEY so that
    # inserts referencing the merchant elsewhere need not wait. The exclusion constraint would
    # refuse an overlap anyway, but as an error instead of the next free range.
    merchant = Merchant.objects.select_for_update(no_key=True).get(pk=order.merchant_id)
    order = PrintOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != Status.DRAFT:
        raise ValidationError(_("This print order was submitted already."), code="print_order_submitted")
    first_serial = next_free_serial(merchant=merchant)
    now = timezone.now()
    order.serials = NumericRange(first_serial, first_serial + order.quantity)
    order.status, order.ordered_at = Status.ORDERED, now
    order.estimated_delivery = delivery_estimate(ordered_on=timezone.localdate(now))
    order.save(update_fields=["serials", "status", "ordered_at", "estimated_delivery"])
    operator_audit(actor=actor, action="print_order.submit", merchant=merchant, target=order,
                   before={"status": Status.DRAFT},
                   after={"status": order.status, "serials": [order.first_serial, order.last_serial],
                          "estimated_delivery": order.estimated_delivery})
    with tenant_context(merchant):
        cards_create_range(first_serial=first_serial, count=order.quantity, actor=CARDS_ACTOR)
    return order


@transaction.atomic
def print_order_advance(*, order: PrintOrder, to_status: str, actor) -> PrintOrder:
    """Move a submitted order one step on (in production, shipped, delivered) and note when."""
    order = PrintOrder.objects.select_for_update().get(pk=order.pk)
    if order.status == Status.DRAFT:
        raise ValidationError(_("Submit the print order first: that allocates its card numbers."),
                              code="print_order_draft")
    if to_status not in STEPS or STEPS.index(to_status) != STEPS.index(order.status) + 1:
        raise ValidationError(
            _("A print order moves one step forward at a time, from “%(status)s” only to the next."),
            code="print_order_step", params={"status": order.get_status_display()},
        )
    before = order.status
    order.status = to_status
    setattr(order, REACHED_AT[to_status], timezone.now())
    order.save(update_fields=["status", REACHED_AT[to_status]])
    operator_audit(actor=actor, action="print_order.advance", merchant=order.merchant, target=order,
                   before={"status": before}, after={"status": to_status})
    return order
