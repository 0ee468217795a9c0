"""The card in the phone's wallet: the .pkpass download and Apple's pass web service.

The web service (Apple's "PassKit Web Service Reference", below <host>/wallet/) is called by
phones, not browsers: no CSRF token, JSON in and out, the pass's `Authorization: ApplePass <token>`
where the reference asks for it. Whoever presents a wrong token or odd input is counted per
address (tenants.throttling.WALLET_REFUSALS) and waits once over the limit; a wrong token is a
401 before anything is looked up, so it never tells whether a card or pass exists."""
import json
import logging
import math
import re
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import path
from django.utils.http import http_date, parse_http_date_safe
from django.utils.text import slugify
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from loyalty.errors import CardNotFound
from loyalty.services.shop import shop_branding
from loyalty.wallet.passes import MIME_TYPE, authentication_token_valid, pass_package
from loyalty.wallet.selectors import (
    wallet_pass_for,
    wallet_passes_updated,
    wallet_tag,
    wallet_tag_read,
)
from loyalty.wallet.services import (
    WalletRequestInvalid,
    wallet_device_check,
    wallet_device_register,
    wallet_device_unregister,
    wallet_pass_issue,
)
from portal.session import cardholder_required, portal_actor
from tenants.throttling import (
    WALLET_LOGS,
    WALLET_REFUSALS,
    Throttled,
    address_subject,
    client_address,
)

logger = logging.getLogger("stammkunde.wallet")

# A registration is a push token in a few bytes of JSON; a phone's log post a few short lines.
BODY_MAX_BYTES = 16 * 1024
LOG_MESSAGES_MAX = 20
LOG_MESSAGE_MAX_CHARS = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _site_url(request) -> str:
    """The merchant's host as the phone reached it (its scheme too): the pass's links and its
    web service point there."""
    return request.build_absolute_uri("/")


def _pkpass_response(content: bytes, *, number: str) -> HttpResponse:
    response = HttpResponse(content, content_type=MIME_TYPE)
    name = slugify(shop_branding().name) or "card"
    response["Content-Disposition"] = f'attachment; filename="{name}-{number}.pkpass"'
    return response


# --- The download --------------------------------------------------------------------------------

@require_GET
@cardholder_required
def wallet_pass(request, number):
    """The signed-in cardholder's own active card as a pass; any other card number is a 404."""
    try:
        card, issued = wallet_pass_issue(card_number=number, actor=portal_actor(request))
    except CardNotFound:
        raise Http404 from None
    content = pass_package(card, site_url=_site_url(request), updated_at=issued.updated_at)
    return _pkpass_response(content, number=card.number)


# --- The pass web service ------------------------------------------------------------------------

def _answer(status: int, **data) -> JsonResponse:
    return JsonResponse(data, status=status)


def _refused(request, status: int, code: str) -> JsonResponse:
    """A refusal that counts against the address."""
    try:
        WALLET_REFUSALS.failed(address_subject(client_address(request)), path=request.path[:200], code=code)
    except Throttled as throttled:
        return _too_many(throttled)
    return _answer(status, error=code)


def _too_many(throttled: Throttled) -> JsonResponse:
    response = _answer(429, error="too_many_requests")
    response["Retry-After"] = str(throttled.retry_after)
    return response


def web_service(*methods: str):
    """A pass web service endpoint answering these methods: no CSRF (phones send none), an address
    over the refusal limit answered with a 429 first, and a pass type other than ours a 404."""

    def decorate(view):
        @csrf_exempt
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapper(request, *args, pass_type=None, **kwargs):
            try:
                WALLET_REFUSALS.check(address_subject(client_address(request)))
            except Throttled as throttled:
                return _too_many(throttled)
            if pass_type is not None and pass_type != settings.WALLET_PASS_TYPE_ID:
                return _refused(request, 404, "unknown_pass_type")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _authorised_pass(request, serial: str):
    """The pass the request's `ApplePass` token is for, or the refusal: 401 for a wrong token
    (checked before any look-up), 404 for a pass never handed out."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "ApplePass" or not token or not authentication_token_valid(serial, token.strip()):
        return None, _refused(request, 401, "unauthorised")
    wallet_pass = wallet_pass_for(serial)
    if wallet_pass is None:
        return None, _refused(request, 404, "unknown_pass")
    return wallet_pass, None


def _json_body(request) -> dict | None:
    """The request's JSON object, or None for anything else (too large, not JSON, too deep)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > BODY_MAX_BYTES:
        return None
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    return data if isinstance(data, dict) else None


@web_service("POST", "DELETE")
def wallet_registration(request, device, serial):
    """POST: register the device for the pass's changes (201 new, 200 known);
    DELETE: unregister it (200)."""
    wallet_pass, refusal = _authorised_pass(request, serial)
    if refusal is not None:
        return refusal
    try:
        if request.method == "DELETE":
            wallet_device_unregister(wallet_pass=wallet_pass, device_library_id=device)
            return _answer(200)
        body = _json_body(request)
        if body is None or not isinstance(body.get("pushToken"), str):
            return _refused(request, 400, "push_token_missing")
        registered = wallet_device_register(wallet_pass=wallet_pass, device_library_id=device,
                                            push_token=body["pushToken"])
    except WalletRequestInvalid:
        return _refused(request, 400, "invalid_device")
    return _answer(201 if registered else 200)


@web_service("GET")
def wallet_updated_passes(request, device):
    """The serial numbers of the device's passes changed since the tag it sends (all without one):
    200 with the newest tag, 204 when none changed, 404 for a device that holds no pass here."""
    try:
        wallet_device_check(device)
        since_tag = request.GET.get("passesUpdatedSince")
        since = wallet_tag_read(since_tag) if since_tag else None
    except ValueError:  # WalletRequestInvalid too
        return _refused(request, 400, "invalid_request")
    updated = wallet_passes_updated(device_library_id=device, since=since)
    if updated is None:
        return _refused(request, 404, "unknown_device")
    if not updated:
        return HttpResponse(status=204)
    return _answer(200, serialNumbers=[wallet_pass.card.number for wallet_pass in updated],
                   lastUpdated=wallet_tag(max(wallet_pass.updated_at for wallet_pass in updated)))


@web_service("GET")
def wallet_latest_pass(request, serial):
    """The pass as it is now, with Last-Modified; 304 when it has not changed since the phone's
    If-Modified-Since."""
    wallet_pass, refusal = _authorised_pass(request, serial)
    if refusal is not None:
        return refusal
    # Whole seconds: every change moves updated_at by at least one (loyalty.wallet.services).
    modified = math.floor(wallet_pass.updated_at.timestamp())
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if since is not None and modified <= since:
        response = HttpResponse(status=304)
    else:
        content = pass_package(wallet_pass.card, site_url=_site_url(request), updated_at=wallet_pass.updated_at)
        response = _pkpass_response(content, number=wallet_pass.card.number)
    response["Last-Modified"] = http_date(modified)
    return response


@web_service("POST")
def wallet_log(request):
    """Phones report what went wrong with a pass here: the messages are logged (a few, cut short)."""
    try:
        WALLET_LOGS.failed(address_subject(client_address(request)))
    except Throttled as throttled:
        return _too_many(throttled)
    body = _json_body(request)
    logs = body.get("logs") if body is not None else None
    if not isinstance(logs, list):
        return _refused(request, 400, "logs_missing")
    for message in logs[:LOG_MESSAGES_MAX]:
        if isinstance(message, str):
            logger.warning("Wallet device log: %s", _CONTROL.sub(" ", message[:LOG_MESSAGE_MAX_CHARS]))
    return _answer(200)


urlpatterns = [
    path("card/<str:number>/wallet.pkpass", wallet_pass, name="wallet_pass"),
]

# Apple's pass web service (PassKit Web Service Reference), below <host>/wallet/.
service_urlpatterns = [
    path("v1/devices/<str:device>/registrations/<str:pass_type>/<str:serial>", wallet_registration,
         name="wallet_registration"),
    path("v1/devices/<str:device>/registrations/<str:pass_type>", wallet_updated_passes,
         name="wallet_updated_passes"),
    path("v1/passes/<str:pass_type>/<str:serial>", wallet_latest_pass, name="wallet_latest_pass"),
    path("v1/log", wallet_log, name="wallet_log"),
]
