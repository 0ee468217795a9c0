"""JSON bodies for the REST API and the till, within limits: a booking is a few hundred bytes, so
a body of more than 64 KiB (declared ones are refused earlier, by
config.middleware.RequestSanityMiddleware) or nested more than 32 levels deep is refused before it is parsed (the
parser would otherwise recurse until Python gives up)."""
import json

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status

from config.middleware import JSON_BODY_MAX_BYTES as MAX_BYTES

MAX_DEPTH = 32


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = _("The request body is too large (at most 64 KiB).")


def nesting_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (brackets inside strings don't count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read(MAX_BYTES + 1) if stream is not None else b""
        if len(body) > MAX_BYTES:
            raise RequestTooLarge()
        if nesting_depth(body) > MAX_DEPTH:
            raise exceptions.ParseError(_("The JSON is nested too deeply."))
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            return json.loads(body.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as error:
            raise exceptions.ParseError(_("This is not valid JSON: %(error)s") % {"error": error}) from None


def _refuse_constant(name):
    raise ValueError(f"{name} is not allowed")  # NaN and Infinity are not JSON
