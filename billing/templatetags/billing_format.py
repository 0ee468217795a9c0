"""Money on invoices and in the console: cents shown the German way, `1.234,56 €`."""
from django import template

register = template.Library()


@register.filter
def euro(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d} €"
