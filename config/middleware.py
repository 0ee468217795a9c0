"""Middleware that guards every request before anything reads it, and marks every answer: requests
with NUL or control characters in the path, query string or headers are refused with a 400 (JSON on
the APIs), and dynamic answers are never stored by a cache and name the browser features the pages
may use. A JSON body declared larger than 64 KiB is refused with a 413 before anyone reads it."""
import re
from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

# C0 control characters and DEL; a tab is fine in a header, nowhere in a path or a query.
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_OR_TAB = re.compile(rb"[\x00-\x1f\x7f]")
JSON_PATHS = ("/api/", "/pos/api/")
# A booking is a few hundred bytes; the JSON parser enforces the same limit on bodies that do not
# declare their length.
JSON_BODY_MAX_BYTES = 64 * 1024
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "browsing-topics", "display-capture", "geolocation", "gyroscope",
    "magnetometer", "microphone", "midi", "payment", "usb", "serial", "hid", "bluetooth",
)) + ", camera=(self)"  # a phone at the counter may one day scan a card with its camera


def wants_json(request) -> bool:
    return request.path_info.startswith(JSON_PATHS)


def bad_request(request, message: str):
    if wants_json(request):
        return JsonResponse({"code": "malformed_request", "message": message}, status=400)
    page = loader.get_template("400.html").render({"message": message})
    return HttpResponseBadRequest(page)


def too_large(request):
    return JsonResponse({"code": "request_too_large",
                         "message": _("The request body is too large (at most 64 KiB).")}, status=413)


def _declares_too_large_a_body(request) -> bool:
    declared = request.META.get("CONTENT_LENGTH") or ""
    return declared.isdigit() and int(declared) > JSON_BODY_MAX_BYTES


def _has_control_characters(request) -> bool:
    environ = request.META
    path = environ.get("PATH_INFO", "").encode("latin-1", "replace")
    query = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    if _CONTROL_OR_TAB.search(path) or _CONTROL_OR_TAB.search(unquote_to_bytes(path)):
        return True
    if _CONTROL_OR_TAB.search(unquote_to_bytes(query.replace(b"+", b" "))):
        return True
    return any(_CONTROL.search(str(value).encode("latin-1", "replace"))
               for name, value in environ.items() if name.startswith("HTTP_") or name == "CONTENT_TYPE")


class RequestSanityMiddleware:
    """First in the chain: a request nobody could have meant gets a 400 and touches nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_control_characters(request):
            with visitors_language(request):
                return bad_request(request, _("The request contains characters that are not allowed."))
        if wants_json(request) and _declares_too_large_a_body(request):
            with visitors_language(request):
                return too_large(request)
        return self.get_response(request)


def visitors_language(request):
    """Refusals come before LocaleMiddleware: in the visitor's language all the same."""
    return translation.override(translation.get_language_from_request(request))


class ResponseHeadersMiddleware:
    """No cache keeps a dynamic answer (pages of signed-in people and JSON carry personal data),
    and the browser features the pages may use are named."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
