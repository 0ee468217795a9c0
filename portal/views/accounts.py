"""Registration with the card number and activation code or an invitation from the till, e-mail confirmation, sign-in by e-mail link or password, sign-out."""
import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from loyalty.actors import Actor
from loyalty.errors import LoyaltyError, TooManyAttempts, WordingChanged
from loyalty.services.consent_wordings import consent_wordings_current
from loyalty.services.ledger import service_refusal
from loyalty.services.portal_accounts import (
    CONFIRM_EMAIL,
    INVITATION,
    REGISTRATION_MAX_AGE,
    SIGN_IN,
    ActivationRefused,
    CardNumberMistyped,
    LinkInvalid,
    SignInRefused,
    activation_code_normalise,
    invited_cards,
    portal_card_check,
    portal_card_register,
    portal_email_confirm,
    portal_invitation_accept,
    portal_invitation_read,
    portal_link_read,
    portal_link_renew,
    portal_password_set,
    portal_password_sign_in,
    portal_registration_email_correct,
    portal_registration_resend,
    portal_sign_in_by_link,
    portal_sign_in_link_read,
    portal_sign_in_link_send,
    registration_fields,
)
from portal.forms.accounts import (
    VERSION_PREFIX,
    CardForm,
    DetailsForm,
    EmailCorrectionForm,
    InvitationForm,
    PasswordForm,
    PasswordSignInForm,
    SignInLinkForm,
)
from portal.rendering import portal_render
from portal.session import (
    cardholder_required,
    portal_actor,
    portal_cardholder,
    portal_sign_in,
    portal_sign_out,
)
from tenants.throttling import client_address

# The card whose activation code was right, waiting for the person's details (never a form field).
REGISTRATION = "portal_registration"
# Where the registration's mail went, for "send again".
REGISTRATION_SENT = "portal_registration_sent"
TEMPLATES = "portal/accounts/"


def _visitor(request) -> Actor:
    """Someone not signed in (or registering another card): the portal, from the client's address."""
    return Actor.portal_visitor(address=client_address(request))


def _throttled(response, refusal: TooManyAttempts):
    response.status_code = 429
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _safe_path(request, target: str) -> str:
    """A path on this host to go to after signing in, or ""."""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return ""


def _next(request) -> str:
    return _safe_path(request, request.POST.get("next") or request.GET.get("next") or "")


def _ended(request):
    return portal_render(request, TEMPLATES + "ended.html", status=403 if request.method == "POST" else 200)


# --- Registration with the printed card ----------------------------------------------------------

@require_http_methods(["GET", "POST"])
def register(request):
    """Step one: the card number and the activation code printed on the card."""
    if service_refusal():
        return _ended(request)
    form = CardForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            card = portal_card_check(card_number=form.cleaned_data["card_number"],
                                     activation_code=form.cleaned_data["activation_code"],
                                     actor=_visitor(request))
        except CardNumberMistyped as error:
            form.add_error("card_number", str(error))
        except (ActivationRefused, TooManyAttempts) as error:
            refusal = error
            form.add_error(None, str(error))
        else:
            request.session[REGISTRATION] = {
                "number": card.number, "code": activation_code_normalise(form.cleaned_data["activation_code"]),
                "at": time.time()}
            return redirect("portal:register_details")
    response = portal_render(request, TEMPLATES + "register.html", {"form": form})
    return _throttled(response, refusal) if isinstance(refusal, TooManyAttempts) else response


def _registration_pending(request) -> dict | None:
    pending = request.session.get(REGISTRATION)
    if (not isinstance(pending, dict) or not isinstance(pending.get("at"), int | float)
            or time.time() - pending["at"] > REGISTRATION_MAX_AGE):
        request.session.pop(REGISTRATION, None)
        return None
    return pending


def _wordings_shown_again(form_class, request, error: WordingChanged, **kwargs):
    """The form as sent, with the new wordings of the consents that changed, not ticked."""
    wordings = consent_wordings_current()
    data = request.POST.copy()
    for purpose in error.purposes:
        data.pop(purpose, None)
        if purpose in wordings:
            data[VERSION_PREFIX + purpose] = str(wordings[purpose].version)
    form = form_class(data, wordings=wordings, **kwargs)
    form.is_valid()
    for purpose in error.purposes:
        if purpose in form.fields:
            form.errors.pop(purpose, None)
            form.add_error(purpose, _("This text has changed since the page was opened. Please read it again."))
    form.add_error(None, str(error))
    return form


@require_http_methods(["GET", "POST"])
def register_details(request):
    """Step two: name, e-mail, the merchant's own fields and the consents, for the card of step one."""
    if service_refusal():
        return _ended(request)
    pending = _registration_pending(request)
    if pending is None:
        messages.info(request, _("Please enter your card number and activation code first."))
        return redirect("portal:register")
    own_fields = registration_fields()
    form = DetailsForm(request.POST or None, own_fields=own_fields, wordings=consent_wordings_current())
    if request.method == "POST" and form.is_valid():
        try:
            registration = portal_card_register(
                card_number=pending["number"], activation_code=pending["code"],
                first_name=form.cleaned_data["first_name"], last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"], language=get_language(), custom_data=form.custom_data(),
                consents=form.consents_given(), wordings_shown=form.wordings_shown(), actor=_visitor(request))
        except WordingChanged as error:
            form = _wordings_shown_again(DetailsForm, request, error, own_fields=own_fields)
        except ActivationRefused:
            request.session.pop(REGISTRATION, None)
            messages.error(request, _("This card cannot be registered any more. Please check the card number "
                                      "and the activation code."))
            return redirect("portal:register")
        except ValidationError as error:
            form.errors_from(error, mapping=form.own_error_mapping())
        except TooManyAttempts as error:
            form.add_error(None, str(error))
            return _throttled(portal_render(request, TEMPLATES + "details.html",
                                            {"form": form, "number": pending["number"]}), error)
        except LoyaltyError as error:
            form.add_error(None, str(error))
        else:
            request.session.pop(REGISTRATION, None)
            # Where nothing was registered (the address is someone else's), what was typed stays
            # here, so that correcting the address registers the card as a typo's correction does.
            details = None if registration.cardholder else {
                "number": pending["number"], "code": pending["code"], **_details_of(form)}
            _registration_sent(request, registration, details=details)
            return redirect("portal:register_sent")
    return portal_render(request, TEMPLATES + "details.html", {"form": form, "number": pending["number"]})


def _details_of(form: DetailsForm) -> dict:
    return {"first_name": form.cleaned_data["first_name"], "last_name": form.cleaned_data["last_name"],
            "language": get_language(), "custom_data": form.custom_data(), "consents": form.consents_given(),
            "wordings_shown": form.wordings_shown()}


def _registration_sent(request, registration, *, details: dict | None) -> None:
    request.session[REGISTRATION_SENT] = {
        "email": registration.email,
        "cardholder": registration.cardholder.pk if registration.cardholder else None,
        "in_use_by": registration.in_use_by.pk if registration.in_use_by else None,
        "details": details}


@require_http_methods(["GET", "POST"])
def register_sent(request):
    """Step three: check the inbox. "Send again" sends the same kind of mail once more; a typo in
    the address can be corrected here, as long as it is not confirmed."""
    sent = request.session.get(REGISTRATION_SENT)
    if not isinstance(sent, dict) or not isinstance(sent.get("email"), str):
        return redirect("portal:register")
    form = EmailCorrectionForm(request.POST if request.POST.get("action") == "correct" else None,
                               initial={"email": sent["email"]})
    context = {"email": sent["email"], "form": form}
    try:
        if request.POST.get("action") == "correct":
            if form.is_valid():
                return _email_correct(request, sent, form)
        elif request.method == "POST":
            portal_registration_resend(email=sent["email"], cardholder_id=sent.get("cardholder"),
                                       in_use_by_id=sent.get("in_use_by"), actor=_visitor(request))
            messages.success(request, _("We have sent the e-mail again."))
            return redirect("portal:register_sent")
    except TooManyAttempts as error:
        return _throttled(portal_render(request, TEMPLATES + "sent.html", {**context, "refusal": error}), error)
    return portal_render(request, TEMPLATES + "sent.html", context)


def _email_correct(request, sent: dict, form):
    email = form.cleaned_data["email"]
    try:
        if sent.get("cardholder") is not None:
            registration = portal_registration_email_correct(cardholder_id=sent["cardholder"], email=email,
                                                             actor=_visitor(request))
            details = None
        else:
            details = sent.get("details") or {}
            registration = portal_card_register(
                card_number=details.get("number", ""), activation_code=details.get("code", ""),
                first_name=details.get("first_name", ""), last_name=details.get("last_name", ""), email=email,
                language=details.get("language", ""), custom_data=details.get("custom_data") or {},
                consents=details.get("consents") or [], wordings_shown=details.get("wordings_shown") or {},
                actor=_visitor(request))
            details = None if registration.cardholder else details
    except ValidationError as error:
        form.errors_from(error)
        return portal_render(request, TEMPLATES + "sent.html", {"email": sent["email"], "form": form})
    except TooManyAttempts:
        raise
    except LinkInvalid as error:  # confirmed meanwhile
        request.session.pop(REGISTRATION_SENT, None)
        messages.info(request, str(error))
        return redirect("portal:sign_in")
    except LoyaltyError:  # the card or a wording changed meanwhile, or the programme ended
        request.session.pop(REGISTRATION_SENT, None)
        messages.error(request, _("Please register your card again: the registration could not be completed."))
        return redirect("portal:register")
    _registration_sent(request, registration, details=details)
    messages.success(request, _("We have sent the link to the corrected address."))
    return redirect("portal:register_sent")


# --- Links from e-mails ----------------------------------------------------------------------------

def _link_invalid(request, *, kind_name: str, renewed: bool = False, refusal=None):
    """A link that expired or was used: a friendly page that offers a new one."""
    response = portal_render(request, TEMPLATES + "link_invalid.html",
                             {"kind": kind_name, "renewed": renewed, "refusal": refusal},
                             status=404)
    return _throttled(response, refusal) if refusal is not None else response


def _renew(request, *, token: str, kind, kind_name: str):
    try:
        portal_link_renew(token=token, kind=kind, actor=_visitor(request))
    except TooManyAttempts as error:
        return _link_invalid(request, kind_name=kind_name, refusal=error)
    return _link_invalid(request, kind_name=kind_name, renewed=True)


@require_http_methods(["GET", "POST"])
def confirm_email(request, token):
    """The link of the confirmation mail: GET asks to press the button (mail scanners open links),
    POST confirms the address and signs the person in."""
    if request.method == "POST":
        if "renew" in request.POST:
            return _renew(request, token=token, kind=CONFIRM_EMAIL, kind_name="confirm")
        try:
            cardholder = portal_email_confirm(token=token, address=client_address(request))
        except LinkInvalid:
            return _link_invalid(request, kind_name="confirm")
        portal_sign_in(request, cardholder)
        messages.success(request, _("Thank you: your e-mail address is confirmed and you are signed in."))
        return redirect("portal:card")
    if portal_link_read(token, CONFIRM_EMAIL) is None:
        return _link_invalid(request, kind_name="confirm")
    return portal_render(request, TEMPLATES + "confirm.html")


@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """The invitation from the till: what the card is, the person's details to complete, optional
    consents and a password; accepting confirms the address and signs in."""
    link = portal_invitation_read(token)
    if request.method == "POST" and "renew" in request.POST:
        return _renew(request, token=token, kind=INVITATION, kind_name="invitation")
    if link is None:
        return _link_invalid(request, kind_name="invitation")
    cardholder = link.cardholder
    own_fields = registration_fields()
    initial = {"first_name": cardholder.first_name, "last_name": cardholder.last_name,
               **{f"own__{key}": value for key, value in (cardholder.custom_data or {}).items()}}
    form = InvitationForm(request.POST or None, initial=initial, own_fields=own_fields,
                          wordings=consent_wordings_current())
    if request.method == "POST" and form.is_valid():
        try:
            cardholder = portal_invitation_accept(
                token=token, first_name=form.cleaned_data["first_name"], last_name=form.cleaned_data["last_name"],
                custom_data=form.custom_data(), consents=form.consents_given(),
                wordings_shown=form.wordings_shown(), password=form.cleaned_data["password"],
                address=client_address(request))
        except WordingChanged as error:
            form = _wordings_shown_again(InvitationForm, request, error, own_fields=own_fields, initial=initial)
        except LinkInvalid:
            return _link_invalid(request, kind_name="invitation")
        except ValidationError as error:
            form.errors_from(error, mapping=form.own_error_mapping())
        else:
            portal_sign_in(request, cardholder)
            messages.success(request, _("Welcome! Your e-mail address is confirmed and you are signed in."))
            return redirect("portal:card")
    return portal_render(request, TEMPLATES + "invitation.html",
                         {"form": form, "invited": cardholder, "cards": invited_cards(cardholder)})


# --- Signing in and out ----------------------------------------------------------------------------

LINK_SENT = _("If this address belongs to a card here, a sign-in link is on its way. Please check your "
              "inbox (and the spam folder).")


@require_http_methods(["GET", "POST"])
def sign_in(request):
    """Two ways on one page: a sign-in link by e-mail, or e-mail and password."""
    next_path = _next(request)
    if request.method == "GET" and portal_cardholder(request) is not None:
        return redirect(next_path or reverse("portal:card"))
    method = request.POST.get("method") if request.method == "POST" else None
    link_form = SignInLinkForm(request.POST if method == "link" else None, prefix="link")
    password_form = PasswordSignInForm(request.POST if method == "password" else None, prefix="password")
    context = {"link_form": link_form, "password_form": password_form, "next": next_path}
    if method == "password":  # the cursor where the person goes on typing
        link_form.focus(None)
        password_form.focus("email" if "email" in password_form.errors else "password")
    if method == "link" and link_form.is_valid():
        try:
            portal_sign_in_link_send(email=link_form.cleaned_data["email"], actor=_visitor(request),
                                     next_path=next_path)
        except TooManyAttempts as error:
            link_form.add_error(None, str(error))
            return _throttled(portal_render(request, TEMPLATES + "sign_in.html", context), error)
        context.update(link_sent=True, email=link_form.cleaned_data["email"], link_sent_text=LINK_SENT,
                       link_minutes=SIGN_IN.max_age // 60)
    elif method == "password" and password_form.is_valid():
        try:
            cardholder = portal_password_sign_in(email=password_form.cleaned_data["email"],
                                                 password=password_form.cleaned_data["password"],
                                                 address=client_address(request))
        except SignInRefused as error:
            password_form.add_error(None, str(error))
        except TooManyAttempts as error:
            password_form.add_error(None, str(error))
            return _throttled(portal_render(request, TEMPLATES + "sign_in.html", context), error)
        else:
            portal_sign_in(request, cardholder)
            return redirect(next_path or reverse("portal:card"))
    return portal_render(request, TEMPLATES + "sign_in.html", context)


@require_http_methods(["GET", "POST"])
def sign_in_link(request, token):
    """The link of a sign-in mail: GET shows a button, POST signs in and spends the link."""
    if request.method == "POST":
        try:
            link = portal_sign_in_by_link(token=token, address=client_address(request))
        except LinkInvalid:
            return _link_invalid(request, kind_name="sign_in")
        portal_sign_in(request, link.cardholder)
        return redirect(_safe_path(request, str(link.extra.get("n") or "")) or reverse("portal:card"))
    if portal_sign_in_link_read(token) is None:
        return _link_invalid(request, kind_name="sign_in")
    return portal_render(request, TEMPLATES + "sign_in_link.html")


@require_POST
def sign_out(request):
    portal_sign_out(request)
    messages.success(request, _("You are signed out."))
    return redirect("portal:landing")


@require_http_methods(["GET", "POST"])
@cardholder_required
def password(request):
    """Set or change the portal password; every other session of the person ends."""
    cardholder = portal_cardholder(request)
    form = PasswordForm(request.POST or None, has_password=bool(cardholder.password))
    if request.method == "POST" and form.is_valid():
        try:
            cardholder = portal_password_set(cardholder=cardholder,
                                             current_password=form.cleaned_data.get("current_password", ""),
                                             new_password=form.cleaned_data["new_password"],
                                             actor=portal_actor(request))
        except ValidationError as error:
            form.errors_from(error)
        except TooManyAttempts as error:
            form.add_error(None, str(error))
            return _throttled(portal_render(request, TEMPLATES + "password.html",
                                            {"form": form, "has_password": True}), error)
        else:
            portal_sign_in(request, cardholder)
            messages.success(request, _("Your password is saved. You can now sign in with it, or with a link "
                                        "by e-mail as before."))
            return redirect("portal:card")
    return portal_render(request, TEMPLATES + "password.html",
                         {"form": form, "has_password": bool(cardholder.password)})


urlpatterns = [
    path("register/", register, name="register"),
    path("register/details/", register_details, name="register_details"),
    path("register/sent/", register_sent, name="register_sent"),
    path("confirm/<str:token>/", confirm_email, name="confirm_email"),
    path("invitation/<str:token>/", invitation, name="invitation"),
    path("sign-in/", sign_in, name="sign_in"),
    path("sign-in/link/<str:token>/", sign_in_link, name="sign_in_link"),
    path("sign-out/", sign_out, name="sign_out"),
    path("password/", password, name="password"),
]
