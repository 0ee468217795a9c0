"""The till's pages: pairing a browser, staff sign-in (password or PIN), the till itself and
setting one's PIN. Bookings go through the JSON endpoints in loyalty.pos.api."""
from functools import wraps

from django.contrib import messages
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from loyalty.actors import Actor
from loyalty.errors import LoyaltyError, ServiceEnded
from loyalty.models import Booking, Consent
from loyalty.pos.actions import TILL_LABELS
from loyalty.pos.auth import (
    TERMINAL_COOKIE,
    staff_sign_in,
    staff_sign_out,
    terminal_cookie_set,
    till_from_request,
)
from loyalty.pos.forms import PairForm, PasswordSignInForm, PinSetForm, PinSignInForm
from loyalty.pos.selectors import till_staff_with_pin
from loyalty.pos.services import (
    TILL_PERMISSION,
    terminal_pair,
    till_pin_set,
    till_sign_in_password,
    till_sign_in_pin,
)
from loyalty.services.consent_wordings import consent_wording_current
from tenants.throttling import client_address


def terminal_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        till = till_from_request(request)
        if till.terminal is None:
            return redirect("pos:pair")
        return view(request, till, *args, **kwargs)

    return wrapped


def staff_required(view):
    @wraps(view)
    @terminal_required
    def wrapped(request, till, *args, **kwargs):
        if till.user is None or not till.user.has_perm(TILL_PERMISSION):
            return redirect("pos:login")
        return view(request, till, *args, **kwargs)

    return wrapped


def _page(request, template: str, context: dict, refusal: LoyaltyError | None = None):
    """The page; after a service's refusal with its status, and when to try again if it says."""
    response = render(request, template, context, status=refusal.status if refusal else 200)
    if getattr(refusal, "retry_after", None):
        response["Retry-After"] = str(refusal.retry_after)
    return response


@require_http_methods(["GET", "POST"])
def pair(request):
    if till_from_request(request).terminal is not None:
        return redirect("pos:login")
    form, refusal = PairForm(request.POST or None), None
    if form.is_valid():
        try:
            _terminal, token = terminal_pair(code=form.cleaned_data["code"],
                                             client_address=client_address(request),
                                             actor=Actor(label="till pairing"))
        except LoyaltyError as error:
            form.add_error(None, str(error))
            refusal = error
        else:
            response = redirect("pos:login")
            terminal_cookie_set(request, response, token)
            return response
    return _page(request, "loyalty/pos/pair.html", {"form": form}, refusal)


@require_http_methods(["GET", "POST"])
@terminal_required
def sign_in(request, till):
    staff = list(till_staff_with_pin(till.terminal))
    method = request.POST.get("method")
    password_form = PasswordSignInForm(request.POST if method == "password" else None,
                                       prefix="password")
    pin_form = PinSignInForm(request.POST if method == "pin" else None, prefix="pin", staff=staff)
    form, refusal = (password_form if method == "password" else pin_form), None
    if method in ("password", "pin") and form.is_valid():
        data = form.cleaned_data
        try:
            if method == "password":
                user = till_sign_in_password(email=data["email"], password=data["password"],
                                             terminal=till.terminal, address=client_address(request))
            else:
                user = till_sign_in_pin(user_id=data["user"], pin=data["pin"],
                                        terminal=till.terminal, address=client_address(request))
        except LoyaltyError as error:
            form.add_error(None, str(error))
            refusal = error
        else:
            staff_sign_in(request, user, till.terminal)
            return redirect("pos:till")
    context = {"till": till, "password_form": password_form,
               "pin_form": pin_form if staff else None}
    return _page(request, "loyalty/pos/login.html", context, refusal)


@require_POST
def sign_out(request):
    staff_sign_out(request)
    return redirect("pos:login")


@require_http_methods(["GET"])
@staff_required
def till_page(request, till):
    config = {
        "csrf": get_token(request),
        "language": get_language(),
        # Whose bookings this page may send again after a reload: the signed-in person's only.
        "staff": till.user.pk,
        "urls": {"card": "/pos/api/cards/", "book": "/pos/api/bookings/", "login": "/pos/login/"},
        "texts": {
            "retrying": _("Connection problem – trying again …"),
            "not_confirmed": _("No connection: the booking is not confirmed yet. Send it again – "
                               "it will not be booked twice."),
            "resend": _("Send again"),
            "discard": _("Discard"),
            "offline": _("No connection to the server. Please try again."),
            "error": _("Something went wrong. Please try again."),
            "amount_missing": _("Please enter the amount first, e.g. 12,50."),
            "amount_zero": _("The amount must be more than 0,00 €."),
            "amount_negative": _("Please enter the amount without a minus sign. To take a booking "
                                 "back, reverse it below."),
            "amount_malformed": _("This is not an amount: please enter it like 12,50."),
            "amount_too_large": _("This amount is too large for one booking: please check it."),
            "anonymous": _("Card without a name"),
            "reverse": _("Reverse"),
            "reversed": _("reversed"),
            "confirm_reverse": _("Reverse this booking?"),
            "registered": _("The card is handed out."),
            "no_bookings": _("No bookings yet."),
            "pending": _("Booking waiting for the connection …"),
            "pending_other": _("A booking another person began is waiting until they sign in "
                               "here again:"),
            "confirm_yes": _("Yes, book it"),
            "confirm_no": _("No, correct it"),
            "return": str(TILL_LABELS[Booking.Kind.RETURN]),
            "return_amount": _("Amount returned in €"),
            "return_book": _("Book the return"),
            "cancel": _("Cancel"),
            "next": _("Next"),
            "back": _("Back"),
            "voucher_other": _("Other amount in €"),
            "voucher_value": _("Voucher of %(amount)s"),
            "valid_until": _("valid until %(date)s"),
            "voucher_sell": _("Sell voucher now"),
        },
    }
    context = {"till": till, "config": config,
               # What the customer agrees to when a card is handed out, to show or read out to them.
               "terms_wording": consent_wording_current(Consent.Purpose.TERMS),
               "service_ended": str(ServiceEnded.message) if request.tenant.service_ended else ""}
    response = render(request, "loyalty/pos/till.html", context)
    # Renewed with every visit, so a till in daily use stays paired past the cookie's lifetime.
    terminal_cookie_set(request, response, request.COOKIES[TERMINAL_COOKIE])
    return response


@require_http_methods(["GET", "POST"])
@staff_required
def pin_set(request, till):
    form, refusal = PinSetForm(request.POST or None), None
    if form.is_valid():
        try:
            done = till_pin_set(user=till.user, password=form.cleaned_data["password"],
                                pin=form.cleaned_data["pin"], terminal=till.terminal,
                                address=client_address(request))
        except LoyaltyError as error:
            form.add_error("password", str(error))
            refusal = error
        else:
            if done:
                messages.success(request, _("Your PIN is set. Next time, choose your name and type "
                                            "the PIN."))
                return redirect("pos:till")
            form.add_error("password", _("This is not your password."))
    return _page(request, "loyalty/pos/pin.html", {"till": till, "form": form}, refusal)
