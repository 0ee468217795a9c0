"""The customer portal's accounts: the links it e-mails (confirm an address, sign in, accept an
invitation from the till, confirm a deletion), and what binds a portal session to the person.

A link carries a signed token: the cardholder, what the link is for, and a hash of the part of
the person's state that using the link changes. So every link works once: signing in moves
`portal_sign_in_at`, confirming moves `email_confirmed_at`, deleting sets `anonymised_at`, and
an older link of the same kind no longer matches. Nothing of the person's data is in the link.
Tokens are signed per merchant schema: a link of alice's never opens on bob's host."""
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from loyalty.actors import Actor
from loyalty.cardnumbers import card_number_is_valid
from loyalty.errors import ConsentRequired, LoyaltyError, NotPermitted, TooManyAttempts
from loyalty.models import Card, Cardholder, Consent, ConsentWording, CustomField
from loyalty.services.audit import audit_record
from loyalty.services.cardholders import (
    INDEXES,
    card_register,
    cardholder_find_by_email,
    cardholder_indexes_refresh,
    consent_record,
    custom_data_clean,
    custom_data_merged,
    custom_fields_active,
)
from loyalty.services.cards import ACTIVATION_CODE_LENGTH
from loyalty.services.consent_wordings import consent_wordings_as_shown
from loyalty.services.ledger import service_refusal
from loyalty.services.lookup import NUMBER_MISTYPED, card_number_clean
from loyalty.services.shop import shop_legal_details
from loyalty.throttling import lockout_audit, too_many
from tenants.accounts.invitations import merchant_url
from tenants.encryption import blind_index, normalise_email
from tenants.selectors import merchant_current
from tenants.throttling import (
    ACTIVATION_CODES,
    ACTIVATION_CODES_FROM_AN_ADDRESS,
    PASSWORDS,
    PASSWORDS_FROM_AN_ADDRESS,
    PORTAL_EMAILS,
    Throttled,
    address_subject,
    sign_in_subjects,
)

_MINUTE = 60
_DAY = 24 * 3600


@dataclass(frozen=True)
class LinkKind:
    name: str
    max_age: int  # seconds a link of this kind is valid
    state: tuple[str, ...]  # the cardholder's fields that using such a link changes


CONFIRM_EMAIL = LinkKind("confirm-email", 3 * _DAY, ("email_index", "email_confirmed_at", "anonymised_at"))
CONFIRM_NEW_EMAIL = LinkKind("confirm-new-email", 3 * _DAY, ("email_new", "email_index", "anonymised_at"))
SIGN_IN = LinkKind("sign-in", 30 * _MINUTE, ("portal_sign_in_at", "portal_generation", "anonymised_at"))
INVITATION = LinkKind("invitation", 14 * _DAY, ("email_confirmed_at", "portal_sign_in_at", "anonymised_at"))
DELETION = LinkKind("deletion", 1 * _DAY, ("portal_generation", "anonymised_at"))
LINK_KINDS = {kind.name: kind for kind in (CONFIRM_EMAIL, CONFIRM_NEW_EMAIL, SIGN_IN, INVITATION, DELETION)}


def _salt() -> str:
    return f"stammkunde.portal:{connection.schema_name}"


def _state_hash(cardholder: Cardholder, kind: LinkKind) -> str:
    state = "|".join(str(getattr(cardholder, field)) for field in kind.state)
    return hmac.new(settings.SECRET_KEY.encode(), f"{kind.name}|{cardholder.pk}|{state}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def portal_link_token(cardholder: Cardholder, kind: LinkKind, **extra) -> str:
    """A token for a link of `kind` to `cardholder`; `extra` (short, not personal) rides along."""
    return signing.dumps({"c": cardholder.pk, "k": kind.name, "s": _state_hash(cardholder, kind), **extra},
                         salt=_salt(), compress=True)


@dataclass(frozen=True)
class PortalLink:
    cardholder: Cardholder
    extra: dict


def portal_link_read(token: str, kind: LinkKind, *, queryset=None) -> PortalLink | None:
    """The cardholder and extras of a valid, unused link of `kind`, or None (expired, used,
    tampered with, of another kind or another merchant)."""
    try:
        data = signing.loads(token, salt=_salt(), max_age=timedelta(seconds=kind.max_age))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("k") != kind.name or not isinstance(data.get("c"), int):
        return None
    cardholder = (queryset if queryset is not None else Cardholder.objects).filter(pk=data["c"]).first()
    if cardholder is None or cardholder.anonymised_at is not None:
        return None
    if not hmac.compare_digest(str(data.get("s", "")), _state_hash(cardholder, kind)):
        return None
    return PortalLink(cardholder, {key: value for key, value in data.items() if key not in ("c", "k", "s")})


def portal_session_hash(cardholder: Cardholder) -> str:
    """What a portal session keeps to stay valid: changes when the password changes, the person is
    anonymised or all their sessions are ended (`portal_generation`)."""
    state = f"{cardholder.pk}|{cardholder.password}|{cardholder.portal_generation}|{cardholder.anonymised_at}"
    return hmac.new(settings.SECRET_KEY.encode(), f"portal-session|{connection.schema_name}|{state}".encode(),
                    hashlib.sha256).hexdigest()


# --- Registration, confirmation, invitation and sign-in ------------------------------------------
#
# Everything a guesser could learn from is answered alike: a card number that does not exist, one
# whose card has a holder, is blocked or replaced, and a wrong activation code get the same refusal
# and are counted the same way; an e-mail address in use by someone else gets the same "check your
# inbox" as a new one (its owner gets a mail instead); a sign-in link is "on its way" whoever asks.

# How long a correct activation code keeps the card waiting for the person's details.
REGISTRATION_MAX_AGE = 30 * _MINUTE
# A link that expired may still ask for a new one of its kind, for this long.
LINK_RESEND_MAX_AGE = 60 * _DAY
NAME_LENGTH = 100
EMAIL_LENGTH = 254
OPTIONAL_PURPOSES = (Consent.Purpose.NEWSLETTER, Consent.Purpose.SMS, Consent.Purpose.ANALYSIS)

ACTIVATION_REFUSED = _("The card number or the activation code is not right. Please check both on your "
                       "card.")
ACTIVATION_PAUSED = _("Too many wrong activation codes for this card number. Please wait %(minutes)s min. "
                      "and try again.")
ACTIVATION_PAUSED_HERE = _("Too many wrong activation codes from your connection. Please wait %(minutes)s "
                           "min. and try again.")
EMAILS_PAUSED = _("Too many e-mails were asked for. Please wait %(minutes)s min. and try again.")
SIGN_IN_REFUSED = _("The e-mail address or the password is not right.")
SIGN_INS_PAUSED = _("Too many wrong passwords. Signing in with a password is paused here for %(minutes)s "
                    "min.; a sign-in link by e-mail works meanwhile.")
PASSWORD_WRONG = _("This is not your current password.")
EMAIL_INVALID = _("Please enter a valid e-mail address, such as name@example.de.")
# Compared against when a card number is unknown, so that the comparison takes as long as a real one.
_NO_CODE = b"\0" * ACTIVATION_CODE_LENGTH
_dummy_password = None


class ActivationRefused(LoyaltyError):
    """The card number and activation code do not give a card that can be registered."""

    code = "activation_refused"
    message = ACTIVATION_REFUSED


class CardNumberMistyped(LoyaltyError):
    """The check digit does not match: a typo, which says nothing about which cards exist."""

    code = "card_number_invalid"
    message = NUMBER_MISTYPED


class LinkInvalid(LoyaltyError):
    code, status = "link_invalid", 404
    message = _("This link has expired or has been used already.")


class SignInRefused(LoyaltyError):
    code = "sign_in_refused"
    message = SIGN_IN_REFUSED


def activation_code_normalise(code) -> str:
    """As the code is typed from the card: any case, with spaces or dashes between its letters."""
    return "".join(char for char in str(code or "").upper() if char.isalnum())


def _registrable(card: Card | None) -> bool:
    """A blank card, or one handed out without a holder: the only cards a code may register."""
    return (card is not None and card.cardholder_id is None
            and card.status in (Card.Status.UNISSUED, Card.Status.ACTIVE))


def _code_matches(card: Card | None, code: str) -> bool:
    """Constant-time: the activation code of the card, whatever the case, spaces and dashes."""
    expected = activation_code_normalise(card.activation_code).encode() if card is not None else b""
    given = activation_code_normalise(code).encode()
    matches = hmac.compare_digest(given, expected or _NO_CODE)
    return matches and bool(expected)


def _activation_failed(*, number: str, address: str, actor: Actor) -> None:
    """Count a refused code for the card number and the address; a lock-out is audited."""
    paused = None
    for limit, subject in ((ACTIVATION_CODES, f"card:{number}"),
                           (ACTIVATION_CODES_FROM_AN_ADDRESS, address_subject(address))):
        try:
            limit.failed(subject, on_lockout=lockout_audit(limit=limit, actor=actor, card_number=number),
                         card=number, address=address)
        except Throttled as throttled:
            paused = paused or throttled
    if paused is not None:
        raise _activation_paused(paused)


def _activation_paused(throttled: Throttled) -> TooManyAttempts:
    message = ACTIVATION_PAUSED if throttled.limit is ACTIVATION_CODES else ACTIVATION_PAUSED_HERE
    return too_many(throttled, message)


def portal_card_check(*, card_number: str, activation_code: str, actor: Actor) -> Card:
    """The card these printed number and activation code belong to, if it can be registered.
    Refused alike (ActivationRefused) for an unknown number, a wrong code, a card that has a holder
    or is blocked or replaced, each counted against the number and the address; the fifth in a row
    for a number locks it, right code or not (TooManyAttempts), whether the number exists or not."""
    number = card_number_clean(str(card_number or ""))
    if not card_number_is_valid(number):
        raise CardNumberMistyped()
    try:
        ACTIVATION_CODES.check(f"card:{number}")
        ACTIVATION_CODES_FROM_AN_ADDRESS.check(address_subject(actor.address))
    except Throttled as throttled:
        raise _activation_paused(throttled) from None
    card = Card.objects.filter(number=number).first()
    if _code_matches(card, activation_code) and _registrable(card):
        return card
    _activation_failed(number=number, address=actor.address, actor=actor)
    raise ActivationRefused()


def registration_fields() -> list[CustomField]:
    """The merchant's own fields a person fills in when registering a card."""
    return [field for field in custom_fields_active() if field.at_registration]


def _consents_given(*, cardholder: Cardholder, purposes, wordings: dict[str, ConsentWording],
                    actor: Actor) -> None:
    for purpose in purposes:
        consent_record(cardholder=cardholder, purpose=purpose, granted=True, source=Consent.Source.PORTAL,
                       actor=actor, wording_version=str(wordings[purpose].version))


def _names_clean(**names: str) -> dict[str, str]:
    clean, errors = {}, {}
    for field, value in names.items():
        value = " ".join(str(value or "").split())
        if len(value) > NAME_LENGTH:
            errors[field] = _("At most %(max)d characters, please.") % {"max": NAME_LENGTH}
        clean[field] = value
    if not clean.get("first_name", "-"):
        errors["first_name"] = _("Please enter your first name.")
    if errors:
        raise ValidationError(errors)
    return clean


def _email_clean(email: str) -> str:
    email = str(email or "").strip()
    try:
        if len(email) > EMAIL_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": EMAIL_INVALID}) from None
    return email


def _language(language: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    language = (language or "")[:2]
    return language if language in codes else settings.LANGUAGE_CODE


@dataclass(frozen=True)
class Registration:
    """What a registration sent its confirmation to: the new cardholder, or (the address belongs to
    someone else here) nobody new, and its owner got a mail saying so."""

    cardholder: Cardholder | None
    email: str
    in_use_by: Cardholder | None = None


def portal_card_register(*, card_number: str, activation_code: str, first_name: str, last_name: str,
                         email: str, language: str, custom_data: dict, consents, wordings_shown: dict[str, str],
                         actor: Actor) -> Registration:
    """Register a card with its printed activation code to a new cardholder (card_register: audit
    and sign-up bonus as at the till), record the consents given with the versions of the wordings
    shown, and e-mail a link to confirm the address (after commit). `consents` are the purposes
    agreed to; the terms and privacy notice must be one of them.

    An address that another cardholder of the merchant has is not taken and not revealed: nothing
    is registered, and its owner gets a mail telling how to sign in instead.

    The mail is counted (PORTAL_EMAILS) before the transaction, so that a lock-out's audit row
    stays when the registration is refused for it."""
    if refusal := service_refusal():
        raise refusal
    consents = [purpose for purpose in Consent.Purpose.values if purpose in set(consents)]
    if Consent.Purpose.TERMS not in consents:
        raise ConsentRequired(_("Please agree to the terms and the privacy notice."))
    names = _names_clean(first_name=first_name, last_name=last_name)
    email = _email_clean(email)
    custom_data = custom_data_clean(custom_data, fields=registration_fields())
    wordings = consent_wordings_as_shown(purposes=consents, shown=wordings_shown)
    _emails_count(email=email, address=actor.address, actor=actor)
    with transaction.atomic():
        return _card_register(card_number=card_number_clean(str(card_number or "")), activation_code=activation_code,
                              email=email, language=language, custom_data=custom_data, names=names,
                              consents=consents, wordings=wordings, actor=actor)


def _card_register(*, card_number: str, activation_code: str, email: str, language: str, custom_data: dict,
                   names: dict, consents: list[str], wordings: dict, actor: Actor) -> Registration:
    """The registration itself, in a transaction (portal_card_register)."""
    card = Card.objects.select_for_update().filter(number=card_number).first()
    if not (_code_matches(card, activation_code) and _registrable(card)):
        raise ActivationRefused()
    in_use = cardholder_find_by_email(email)
    if in_use is not None:
        audit_record(actor=actor, action="portal.register_email_in_use", target=in_use, card_number=card_number)
        _mail_on_commit(in_use, "email_in_use", to=in_use.email, context={"sign_in": _url("portal:sign_in")})
        return Registration(cardholder=None, email=email, in_use_by=in_use)
    card = card_register(card_number=card_number, actor=actor, email=email, language=_language(language),
                         custom_data=custom_data, **names)
    cardholder = card.cardholder
    _consents_given(cardholder=cardholder, purposes=consents, wordings=wordings,
                    actor=Actor.for_cardholder(cardholder, address=actor.address))
    _confirmation_send(cardholder)
    return Registration(cardholder=cardholder, email=email)


def _email_subjects(email: str, address: str) -> tuple[str, str]:
    """Who PORTAL_EMAILS counts: the address asking, and the recipient by its blind index (no
    e-mail address in clear in the cache)."""
    normalised = normalise_email(email)
    recipient = blind_index(normalised, schema_name=connection.schema_name, field="email")[:32] if normalised else "-"
    return address_subject(address), f"email:{recipient}"


def _emails_count(*, email: str, address: str, actor: Actor) -> None:
    """Count an e-mail asked for, per address and per recipient; TooManyAttempts past the limit,
    and nothing may be sent."""
    subjects = _email_subjects(email, address)
    try:
        PORTAL_EMAILS.check(*subjects)
        PORTAL_EMAILS.failed(*subjects, on_lockout=lockout_audit(limit=PORTAL_EMAILS, actor=actor),
                             address=address)
    except Throttled as throttled:
        raise too_many(throttled, EMAILS_PAUSED) from None


def portal_registration_resend(*, email: str, cardholder_id: int | None, in_use_by_id: int | None,
                               actor: Actor) -> None:
    """The mail of a registration again ("send again" on the page that asks to check the inbox):
    a new confirmation link while the address is not confirmed, or the mail to the owner of an
    address in use. Counted as every e-mail asked for; after a confirmation, nothing is sent."""
    _emails_count(email=email, address=actor.address, actor=actor)
    if in_use_by_id is not None:
        owner = Cardholder.objects.filter(pk=in_use_by_id, anonymised_at__isnull=True).first()
        if owner is not None:
            _mail_on_commit(owner, "email_in_use", to=owner.email, context={"sign_in": _url("portal:sign_in")})
        return
    cardholder = Cardholder.objects.filter(pk=cardholder_id, anonymised_at__isnull=True,
                                           email_confirmed_at__isnull=True).first()
    if cardholder is not None:
        _confirmation_send(cardholder)


def portal_registration_email_correct(*, cardholder_id: int, email: str, actor: Actor) -> Registration:
    """A typo in the address of a registration that was not confirmed yet (the page that asks to
    check the inbox offers it): the new address gets the confirmation link instead. An address that
    another cardholder has is not taken, and its owner is told, as at the registration."""
    email = _email_clean(email)
    _emails_count(email=email, address=actor.address, actor=actor)
    with transaction.atomic():
        return _registration_email_correct(cardholder_id=cardholder_id, email=email, actor=actor)


def _registration_email_correct(*, cardholder_id: int, email: str, actor: Actor) -> Registration:
    cardholder = (Cardholder.objects.select_for_update()
                  .filter(pk=cardholder_id, anonymised_at__isnull=True, email_confirmed_at__isnull=True).first())
    if cardholder is None:
        raise LinkInvalid(_("This registration is confirmed already. Please sign in."))
    in_use = cardholder_find_by_email(email)
    if in_use is not None and in_use.pk != cardholder.pk:
        audit_record(actor=actor, action="portal.register_email_in_use", target=in_use)
        _mail_on_commit(in_use, "email_in_use", to=in_use.email, context={"sign_in": _url("portal:sign_in")})
        return Registration(cardholder=cardholder, email=email, in_use_by=in_use)
    if cardholder.email != email:
        cardholder.email = email
        cardholder_indexes_refresh(cardholder)
        cardholder.save()
        audit_record(actor=Actor.for_cardholder(cardholder, address=actor.address), action="cardholder.update",
                     target=cardholder, fields=["email"])
    _confirmation_send(cardholder)
    return Registration(cardholder=cardholder, email=email)


def invited_cards(cardholder: Cardholder) -> list[str]:
    """The numbers of the person's active cards, as an invitation names them."""
    return list(cardholder.cards.filter(status=Card.Status.ACTIVE).order_by("number").values_list("number", flat=True))


def _confirmation_send(cardholder: Cardholder) -> None:
    token = portal_link_token(cardholder, CONFIRM_EMAIL)
    _mail_on_commit(cardholder, "confirm_email", to=cardholder.email,
                    context={"link": _url("portal:confirm_email", token=token)})


def _signed_in(cardholder: Cardholder, *, method: str, address: str) -> Cardholder:
    """Write the sign-in down; moving `portal_sign_in_at` spends every sign-in link sent before."""
    cardholder.portal_sign_in_at = timezone.now()
    cardholder.save(update_fields=["portal_sign_in_at"])
    audit_record(actor=Actor.for_cardholder(cardholder, address=address), action="portal.sign_in",
                 target=cardholder, method=method)
    return cardholder


def _link_use(token: str, kind: LinkKind) -> PortalLink:
    link = portal_link_read(token, kind, queryset=Cardholder.objects.select_for_update())
    if link is None:
        raise LinkInvalid()
    return link


@transaction.atomic
def portal_email_confirm(*, token: str, address: str) -> Cardholder:
    """Confirm the address a CONFIRM_EMAIL link was sent to, and sign the person in (the view
    makes the session). LinkInvalid when the link expired or was used."""
    cardholder = _link_use(token, CONFIRM_EMAIL).cardholder
    cardholder.email_confirmed_at = timezone.now()
    cardholder.save(update_fields=["email_confirmed_at"])
    audit_record(actor=Actor.for_cardholder(cardholder, address=address), action="portal.email_confirm",
                 target=cardholder)
    return _signed_in(cardholder, method="confirmation", address=address)


def _link_owner(token: str, kind: LinkKind) -> Cardholder | None:
    """Whom an authentic link of this merchant was sent to, used or expired (up to
    LINK_RESEND_MAX_AGE): only to send that person a new one."""
    try:
        data = signing.loads(token, salt=_salt(), max_age=timedelta(seconds=LINK_RESEND_MAX_AGE))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("k") != kind.name or not isinstance(data.get("c"), int):
        return None
    return Cardholder.objects.filter(pk=data["c"], anonymised_at__isnull=True).first()


def portal_link_renew(*, token: str, kind: LinkKind, actor: Actor) -> bool:
    """A new link for an expired or used confirmation or invitation link, to the address it was
    sent to: a confirmation link while the address is not confirmed, a sign-in link once it is.
    False (nothing sent) for a token that is not an authentic link of this merchant."""
    cardholder = _link_owner(token, kind)
    if cardholder is None or not cardholder.email:
        return False
    _emails_count(email=cardholder.email, address=actor.address, actor=actor)
    if cardholder.email_confirmed_at is None and kind is CONFIRM_EMAIL:
        _confirmation_send(cardholder)
    elif cardholder.email_confirmed_at is None and kind is INVITATION:
        portal_invitation_send(cardholder)
    else:
        _sign_in_link_send(cardholder, next_path="")
    return True


# --- The invitation from the till ----------------------------------------------------------------

def portal_invitation_send(cardholder: Cardholder) -> bool:
    """After a card was handed out at the till with an e-mail address: a link (after commit) to the
    portal, where the person confirms the address and completes their data. Not sent when another
    cardholder of the merchant has the address already (that person signs in as they are)."""
    if not cardholder.email:
        return False
    normalised = normalise_email(cardholder.email)
    index = blind_index(normalised, schema_name=connection.schema_name, field="email")
    if Cardholder.objects.filter(email_index=index, anonymised_at__isnull=True).exclude(pk=cardholder.pk).exists():
        return False
    cards = invited_cards(cardholder)
    token = portal_link_token(cardholder, INVITATION)
    _mail_on_commit(cardholder, "invitation", to=cardholder.email,
                    context={"link": _url("portal:invitation", token=token), "cards": cards})
    return True


def portal_invitation_read(token: str) -> PortalLink | None:
    """The cardholder of an open invitation link, or None (expired, accepted, not this merchant's)."""
    return portal_link_read(token, INVITATION)


@transaction.atomic
def portal_invitation_accept(*, token: str, first_name: str, last_name: str, custom_data: dict, consents,
                             wordings_shown: dict[str, str], password: str = "", address: str) -> Cardholder:
    """Accept an invitation from the till: the address is confirmed by the link, the person's
    names and own fields of the registration are completed, the optional consents given are
    recorded with the wordings' versions shown, a password is set if one is given, and the
    person is signed in. The terms were agreed to at the till."""
    cardholder = _link_use(token, INVITATION).cardholder
    actor = Actor.for_cardholder(cardholder, address=address)
    consents = [purpose for purpose in OPTIONAL_PURPOSES if purpose in set(consents)]
    names = _names_clean(first_name=first_name, last_name=last_name)
    fields = registration_fields()
    clean = custom_data_clean(custom_data, fields=fields)
    if password:
        try:
            validate_password(password, user=cardholder)
        except ValidationError as error:
            raise ValidationError({"password": error.error_list}) from None
    wordings = consent_wordings_as_shown(purposes=consents, shown=wordings_shown)
    data = {**names, "custom_data": custom_data_merged(cardholder.custom_data, clean, fields=fields)}
    changed = sorted(field for field, value in data.items() if getattr(cardholder, field) != value)
    for field in changed:
        setattr(cardholder, field, data[field])
    if changed:
        cardholder_indexes_refresh(cardholder)
        cardholder.full_clean(exclude=INDEXES)
    cardholder.email_confirmed_at = timezone.now()
    if password:
        cardholder.password = make_password(password)
    cardholder.save()
    if changed:
        audit_record(actor=actor, action="cardholder.update", target=cardholder, fields=changed)
    audit_record(actor=actor, action="portal.invitation_accept", target=cardholder,
                 password_set=bool(password))
    _consents_given(cardholder=cardholder, purposes=consents, wordings=wordings, actor=actor)
    return _signed_in(cardholder, method="till_invitation", address=address)


# --- Signing in ----------------------------------------------------------------------------------

def _cardholder_signing_in(email: str) -> Cardholder | None:
    """Who may sign in with this address: a person (not anonymised) who confirmed it."""
    normalised = normalise_email(email)
    if not normalised:
        return None
    index = blind_index(normalised, schema_name=connection.schema_name, field="email")
    return (Cardholder.objects.filter(email_index=index, anonymised_at__isnull=True, email_confirmed_at__isnull=False)
            .order_by("pk").first())


def _sign_in_link_send(cardholder: Cardholder, *, next_path: str) -> None:
    extra = {"n": next_path} if next_path else {}
    token = portal_link_token(cardholder, SIGN_IN, **extra)
    _mail_on_commit(cardholder, "sign_in_link", to=cardholder.email,
                    context={"link": _url("portal:sign_in_link", token=token),
                             "minutes": SIGN_IN.max_age // _MINUTE})


def portal_sign_in_link_send(*, email: str, actor: Actor, next_path: str = "") -> None:
    """A sign-in link (after commit) to this address if it belongs to a cardholder who confirmed
    it; nothing otherwise, and the caller answers alike. Counted per address and recipient."""
    _emails_count(email=email, address=actor.address, actor=actor)
    cardholder = _cardholder_signing_in(email)
    if cardholder is not None:
        _sign_in_link_send(cardholder, next_path=next_path)


def portal_sign_in_link_read(token: str) -> PortalLink | None:
    return portal_link_read(token, SIGN_IN)


@transaction.atomic
def portal_sign_in_by_link(*, token: str, address: str) -> PortalLink:
    """Sign in with a SIGN_IN link, which this spends (and every other sent before it)."""
    link = _link_use(token, SIGN_IN)
    _signed_in(link.cardholder, method="link", address=address)
    return link


def _dummy_password_check(password: str) -> None:
    """Hash as long as a real check would, for an address nobody signs in with."""
    global _dummy_password
    if _dummy_password is None:
        _dummy_password = make_password(secrets.token_urlsafe(16))
    check_password(password, _dummy_password)


def _password_lockout(limit, address: str) -> Callable[[], None]:
    return lockout_audit(limit=limit, actor=Actor.portal_visitor(address=address))


def _portal_sign_in_subjects(email: str, address: str) -> tuple[str, str]:
    """As for the host's staff (tenants.throttling.sign_in_subjects), but a cardholder's account is
    counted apart from a staff member's with the same address; the client address is shared."""
    account_here, address_only = sign_in_subjects(email, address)
    return f"portal-{account_here}", address_only


def portal_password_sign_in(*, email: str, password: str, address: str) -> Cardholder:
    """The cardholder with this confirmed address and password, signed in; SignInRefused alike for
    an unknown address, one without a password and a wrong password. Counted as on every sign-in
    form of the host (per account at the address, and per address): past the limit, even the
    right password is refused for a while (TooManyAttempts)."""
    account_here, address_only = _portal_sign_in_subjects(email, address)
    try:
        PASSWORDS.check(account_here)
        PASSWORDS_FROM_AN_ADDRESS.check(address_only)
    except Throttled as throttled:
        raise too_many(throttled, SIGN_INS_PAUSED) from None
    cardholder = _cardholder_signing_in(email)
    if cardholder is not None and cardholder.password:
        def upgrade(raw):
            Cardholder.objects.filter(pk=cardholder.pk).update(password=make_password(raw))

        right = check_password(password, cardholder.password, setter=upgrade)
    else:
        _dummy_password_check(password)
        right = False
    if not right:
        paused = None
        for limit, subject in ((PASSWORDS, account_here), (PASSWORDS_FROM_AN_ADDRESS, address_only)):
            try:
                limit.failed(subject, on_lockout=_password_lockout(limit, address), address=address)
            except Throttled as throttled:
                paused = paused or throttled
        if paused is not None:
            raise too_many(paused, SIGN_INS_PAUSED)
        raise SignInRefused()
    with transaction.atomic():
        return _signed_in(Cardholder.objects.select_for_update().get(pk=cardholder.pk), method="password",
                          address=address)


def portal_password_set(*, cardholder: Cardholder, current_password: str, new_password: str,
                        actor: Actor) -> Cardholder:
    """Set or change the signed-in person's portal password (Django's validators). Changing asks
    for the current one, under the sign-in throttle. Every other portal session of the person ends
    (`portal_generation`); the caller signs this one in again."""
    if not actor.acts_for(cardholder.pk):
        raise NotPermitted()
    cardholder = Cardholder.objects.get(pk=cardholder.pk)
    if cardholder.password:
        # Before the transaction: a lock-out's audit row stays.
        account_here = _portal_sign_in_subjects(cardholder.email, actor.address)[0]
        try:
            PASSWORDS.check(account_here)
            if not check_password(current_password or "", cardholder.password):
                PASSWORDS.failed(account_here, on_lockout=_password_lockout(PASSWORDS, actor.address),
                                 address=actor.address)
                raise ValidationError({"current_password": PASSWORD_WRONG})
        except Throttled as throttled:
            raise too_many(throttled, SIGN_INS_PAUSED) from None
    try:
        validate_password(new_password, user=cardholder)
    except ValidationError as error:
        raise ValidationError({"new_password": error.error_list}) from None
    with transaction.atomic():
        cardholder = Cardholder.objects.select_for_update().get(pk=cardholder.pk)
        replaced = bool(cardholder.password)
        cardholder.password = make_password(new_password)
        cardholder.portal_generation += 1
        cardholder.save(update_fields=["password", "portal_generation"])
        audit_record(actor=actor, action="portal.password_set", target=cardholder, replaced=replaced)
    return cardholder


# --- E-mails ---------------------------------------------------------------------------------------

def _url(name: str, **kwargs) -> str:
    """An address on the current merchant's own host."""
    return merchant_url(merchant_current(), reverse(name, kwargs=kwargs or None))


def _sender(merchant) -> str:
    """The merchant's name with the platform's sending address."""
    return str(Address(display_name=merchant.name, addr_spec=parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def _mail_on_commit(cardholder: Cardholder, template: str, *, to: str, context: dict) -> None:
    """An e-mail to a cardholder in their language, from the merchant's name, sent when the
    transaction commits (so nothing is sent for a write that was rolled back)."""
    merchant = merchant_current()
    legal = shop_legal_details().settings
    context = {"merchant": merchant, "cardholder": cardholder, "portal": _url("portal:landing"), **context}
    with translation.override(_language(cardholder.language)):
        subject = " ".join(render_to_string(f"loyalty/email/portal/{template}_subject.txt", context).split())
        body = render_to_string(f"loyalty/email/portal/{template}.txt", context)
    message = EmailMessage(subject=subject, body=body, from_email=_sender(merchant), to=[to],
                           reply_to=[legal.contact_email] if legal.contact_email else None)
    transaction.on_commit(message.send)
