"""Every portal page is rendered in the merchant's branding and knows who is signed in."""
from django.shortcuts import render

from loyalty.services.shop import shop_branding
from portal.session import portal_cardholder


def portal_context(request) -> dict:
    return {"branding": shop_branding(), "portal_cardholder": portal_cardholder(request)}


def portal_render(request, template_name: str, context: dict | None = None, *, status: int = 200):
    return render(request, template_name, {**portal_context(request), **(context or {})}, status=status)
