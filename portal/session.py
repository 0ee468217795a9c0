"""Who is signed in to the customer portal on this merchant's host.

The session lives in the merchant's own schema (django.contrib.sessions is a tenant app) and its
cookie is host-only, so a portal session of alice's means nothing on bob's host. Beside the
cardholder's id it keeps `portal_session_hash`: a new password, an anonymisation or "sign out
everywhere" ends every session of that person. Staff sessions in the same browser are untouched
by signing a cardholder in or out."""
from functools import wraps

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from loyalty.actors import Actor
from loyalty.models import Cardholder
from loyalty.services.portal_accounts import portal_session_hash
from tenants.throttling import client_address

SESSION_CARDHOLDER = "portal_cardholder"
SESSION_HASH = "portal_cardholder_hash"


def portal_sign_in(request, cardholder: Cardholder) -> None:
    """Sign the cardholder in on this host (a fresh session key: none planted before survives)."""
    request.session.cycle_key()
    request.session[SESSION_CARDHOLDER] = cardholder.pk
    request.session[SESSION_HASH] = portal_session_hash(cardholder)
    request.portal_cardholder = cardholder


def portal_sign_out(request) -> None:
    request.session.pop(SESSION_CARDHOLDER, None)
    request.session.pop(SESSION_HASH, None)
    request.session.cycle_key()
    request.portal_cardholder = None


def portal_cardholder(request) -> Cardholder | None:
    """The signed-in cardholder, or None; read once per request."""
    if hasattr(request, "portal_cardholder"):
        return request.portal_cardholder
    cardholder = None
    pk = request.session.get(SESSION_CARDHOLDER)
    if isinstance(pk, int):
        candidate = Cardholder.objects.filter(pk=pk, anonymised_at__isnull=True).first()
        if candidate is not None and request.session.get(SESSION_HASH) == portal_session_hash(candidate):
            cardholder = candidate
    request.portal_cardholder = cardholder
    return cardholder


def portal_actor(request) -> Actor:
    """The signed-in cardholder as the actor of a portal write, with the request's address."""
    return Actor.for_cardholder(portal_cardholder(request), address=client_address(request))


def safe_next(request, default: str) -> str:
    """Where to go after signing in: the `next` asked for if it stays on this host."""
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def cardholder_required(view):
    """A portal page for signed-in cardholders: everyone else is sent to sign in, and back after."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if portal_cardholder(request) is None:
            return redirect(f"{reverse('portal:sign_in')}?{REDIRECT_FIELD_NAME}={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapper
