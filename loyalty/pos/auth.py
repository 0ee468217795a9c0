"""Who is at the till: the terminal, known by its device cookie, and the staff member signed in
on it, known by the session.

The staff sign-in is the till's own, not Django's login: a cashier's session then opens the till
and nothing else (the back office and the REST API also check their own permission), and signing
out of the till leaves a manager's back-office session in the same browser alone."""
from dataclasses import dataclass

from django.middleware.csrf import rotate_token
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotAuthenticated

from loyalty.models import Terminal
from loyalty.selectors import terminal_by_token
from loyalty.services.terminals import terminal_seen
from tenants.accounts.selectors import user_active_with_permissions

TERMINAL_COOKIE = "stammkunde_terminal"
# Browsers cap a cookie's life at 400 days; every visit to the till renews it.
TERMINAL_COOKIE_MAX_AGE = 400 * 24 * 3600
_USER, _USER_HASH, _TERMINAL = "pos_user_id", "pos_user_hash", "pos_terminal_id"


@dataclass(frozen=True)
class Till:
    terminal: Terminal | None
    user: object | None  # tenants.accounts.User, signed in on this terminal


def till_from_request(request) -> Till:
    """The terminal of the device cookie (active ones only) and the staff member signed in on
    that very terminal, whose password has not changed since. Worked out once per request."""
    if (till := getattr(request, "_till", None)) is not None:
        return till
    terminal = terminal_by_token(request.COOKIES.get(TERMINAL_COOKIE, ""))
    user = None
    if terminal is not None:
        terminal_seen(terminal)
        if request.session.get(_TERMINAL) == terminal.pk:
            user = user_active_with_permissions(request.session.get(_USER))
            if user is not None and not constant_time_compare(request.session.get(_USER_HASH, ""),
                                                              user.get_session_auth_hash()):
                user = None
    request._till = Till(terminal, user)
    return request._till


def terminal_cookie_set(request, response, token: str) -> None:
    """The device credential: host-only (no Domain), for /pos/ only, out of reach of scripts,
    never sent along from another site."""
    response.set_cookie(TERMINAL_COOKIE, token, max_age=TERMINAL_COOKIE_MAX_AGE, path="/pos/",
                        secure=request.is_secure(), httponly=True, samesite="Strict")


def staff_sign_in(request, user, terminal: Terminal) -> None:
    # A new session key and CSRF token at each sign-in, as Django's login does: no fixation.
    request.session.cycle_key()
    rotate_token(request)
    request.session[_USER] = user.pk
    request.session[_USER_HASH] = user.get_session_auth_hash()
    request.session[_TERMINAL] = terminal.pk
    request._till = Till(terminal, user)


def staff_sign_out(request) -> None:
    for key in (_USER, _USER_HASH, _TERMINAL):
        request.session.pop(key, None)
    request.session.cycle_key()
    request._till = None


class TillAuthentication(SessionAuthentication):
    """The till's JSON endpoints: a paired terminal and a staff member signed in on it, and a
    CSRF token with every write (the session is a cookie)."""

    def authenticate(self, request):
        till = till_from_request(request._request)
        if till.terminal is None:
            raise NotAuthenticated(_("This browser is not paired as a till (any more)."))
        if till.user is None:
            raise NotAuthenticated(_("Please sign in at the till."))
        self.enforce_csrf(request)
        return till.user, till.terminal

    def authenticate_header(self, request):
        return "Till"  # answers 401: the page sends the browser to the sign-in
