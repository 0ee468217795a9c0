"""Terminals authenticate with their own token (`Authorization: Terminal <token>`), cash-register
integrators with an API key of the merchant's (`Authorization: Key <token>`)."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from loyalty.models import ApiKey, Terminal
from loyalty.selectors import terminal_by_token
from loyalty.services.api_keys import api_key_by_token, api_key_used
from loyalty.services.terminals import terminal_seen


class DeviceUser:
    """Stands in for request.user when a device (not a person) signs the request; it holds no
    permission of a person's."""

    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    pk = None

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_perms(self, perms, obj=None) -> bool:
        return False


class TerminalUser(DeviceUser):
    def __init__(self, terminal: Terminal):
        self.terminal = terminal

    def __str__(self):
        return self.terminal.name


class ApiKeyUser(DeviceUser):
    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    def __str__(self):
        return str(self.api_key)


def _token(request, keyword: str, malformed: str) -> str | None:
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].decode(errors="replace") != keyword:
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed(malformed)
    return header[1].decode(errors="replace")


class TerminalTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Terminal"

    def authenticate(self, request):
        token = _token(request, self.keyword, _("The terminal token is missing or malformed."))
        if token is None:
            return None
        terminal = terminal_by_token(token)
        if terminal is None:
            raise exceptions.AuthenticationFailed(_("This terminal token is not valid (any more)."))
        terminal_seen(terminal)
        return TerminalUser(terminal), terminal

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Only for the REST API under /api/ (not the till's pages or the back office)."""

    keyword = "Key"

    def authenticate(self, request):
        token = _token(request, self.keyword, _("The API key is missing or malformed."))
        if token is None:
            return None
        api_key = api_key_by_token(token)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("This API key is not valid (any more)."))
        api_key_used(api_key)
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword


class TerminalTokenScheme(OpenApiAuthenticationExtension):
    target_class = TerminalTokenAuthentication
    name = "terminalToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Terminal <token>`: the token shown once when the terminal was created."}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Key <token>`: an API key the merchant's owner created in the back office "
                               "(Settings → API keys), shown once. Scope `read` may only read (GET); a "
                               "booking with it is refused with 403. A revoked or unknown key gets 401."}
