"""Every API error as JSON: a machine-readable `code` and a `message` in the request's language."""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from loyalty.api.parsers import RequestTooLarge
from loyalty.errors import LoyaltyError

_CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    RequestTooLarge: "request_too_large",
}


# Input refusals whose own message says what to fix better than the general one.
_OWN_MESSAGES = {"invalid_amount", "amount_not_positive", "amount_too_large"}


def _first_error(detail):
    if isinstance(detail, dict):
        detail = next(iter(detail.values()), None)
    if isinstance(detail, list):
        detail = detail[0] if detail else None
    return _first_error(detail) if isinstance(detail, (dict, list)) else detail


def api_exception_handler(exc, context):
    if isinstance(exc, LoyaltyError):
        response = Response({"code": exc.code, "message": str(exc)}, status=exc.status)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        first = _first_error(exc.detail)
        own = getattr(first, "code", None) in _OWN_MESSAGES
        return Response(
            {"code": "invalid_input",
             "message": str(first) if own else _("Some fields are missing or invalid."),
             "fields": exc.detail},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        response = Response({"code": _CODES.get(type(exc), exc.default_code), "message": str(exc.detail)},
                            status=exc.status_code)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            authenticator = context["request"].authenticators
            if authenticator:
                response["WWW-Authenticate"] = authenticator[0].authenticate_header(context["request"])
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))
        return response
    return None
