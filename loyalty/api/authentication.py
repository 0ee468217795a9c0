"""Terminals authenticate with their own token: `Authorization: Terminal <token>`."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from loyalty.models import Terminal
from loyalty.selectors import terminal_by_token
from loyalty.services.terminals import terminal_seen


class TerminalUser:
    """Stands in for request.user when a terminal (not a person) signs the request."""

    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    pk = None

    def __init__(self, terminal: Terminal):
        self.terminal = terminal

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def __str__(self):
        return self.terminal.name


class TerminalTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Terminal"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("The terminal token is missing or malformed."))
        terminal = terminal_by_token(header[1].decode(errors="replace"))
        if terminal is None:
            raise exceptions.AuthenticationFailed(_("This terminal token is not valid (any more)."))
        terminal_seen(terminal)
        return TerminalUser(terminal), terminal

    def authenticate_header(self, request):
        return self.keyword


class TerminalTokenScheme(OpenApiAuthenticationExtension):
    target_class = TerminalTokenAuthentication
    name = "terminalToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Terminal <token>`: the token shown once when the terminal was created."}
