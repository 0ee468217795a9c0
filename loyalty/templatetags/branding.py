"""`{% shop_branding as branding %}`: the merchant's branding (loyalty.services.shop.Branding) for
templates whose views do not pass it, such as the till's."""
from django import template

from loyalty.services.shop import shop_branding as branding_current

register = template.Library()


@register.simple_tag
def shop_branding():
    return branding_current()
