"""`{% print_orders_of merchant as panel %}`: what the console's print order section shows, read
through hq.printing.selectors, so the merchant page's view need not know about it."""
from django import template

from hq.printing import selectors
from hq.printing.forms import PrintOrderForm

register = template.Library()


@register.simple_tag
def print_orders_of(merchant) -> dict:
    return {
        "rows": selectors.print_order_rows(merchant=merchant),
        "reorder": selectors.reorder_suggestion(merchant=merchant),
        "blank_cards": selectors.blank_card_count(merchant=merchant),
        "form": PrintOrderForm(),
    }
