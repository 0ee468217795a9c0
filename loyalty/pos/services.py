"""Writes of the till: pairing a browser as a terminal, staff sign-in and PINs, the cashier role,
and registering a card at the counter."""
import datetime
import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from loyalty.actors import Actor
from loyalty.errors import (
    ConsentRequired,
    PairingCodeInvalid,
    SignInFailed,
    TerminalLimitReached,
)
from loyalty.models import Card, Consent, PairingCode, Terminal
from loyalty.pos.selectors import SIGN_IN_ACTION, till_staff_with_pin
from loyalty.services.audit import audit_record
from loyalty.services.cardholders import card_register, consent_record
from loyalty.services.consent_wordings import consent_wording_current
from loyalty.services.ledger import service_refusal
from loyalty.services.lookup import card_find
from loyalty.services.portal_accounts import portal_invitation_send
from loyalty.services.terminals import terminal_create, terminal_limit_locked, terminal_seat_claim
from loyalty.throttling import lockout_audit, too_many
from tenants.accounts.services import PASSWORDS_PAUSED, password_check
from tenants.throttling import PAIRING_CODES, PASSWORDS, PINS, Throttled, address_subject

# Letters and digits that cannot be mistaken for one another: no 0/O, no 1/I/L.
PAIRING_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_CODE_LENGTH = 8
PAIRING_CODE_VALIDITY = datetime.timedelta(minutes=15)

CASHIER_GROUP = "Kasse/Cashier"
# What the till needs and nothing of the back office: look up a card, book, hand out a card.
CASHIER_PERMISSIONS = ("view_card", "add_booking", "add_cardholder")
TILL_PERMISSION = "loyalty.add_booking"  # who may sign in at a till at all

PINS_PAUSED = _("Too many wrong PINs. Sign in with your password, or try the PIN again in "
                "%(minutes)s min.")


def pairing_code_normalise(code: str) -> str:
    """As the code is typed: any case, with or without the hyphen and spaces it is shown with."""
    return "".join(char for char in code.upper() if char.isalnum())


def pairing_code_hash(code: str) -> str:
    # Keyed with the secret key: the 40 bits of a code would not resist a search against a
    # plain hash from a stolen database within the code's 15 minutes.
    return salted_hmac("loyalty.pos.pairing", pairing_code_normalise(code),
                       algorithm="sha256").hexdigest()


@transaction.atomic
def pairing_code_create(*, terminal_name: str, actor: Actor) -> tuple[PairingCode, str]:
    """A one-time code for pairing a new till, returned this once: only its hash is kept. Refused
    while the licence has no free seat (open codes hold theirs)."""
    terminal_seat_claim()
    code = "".join(secrets.choice(PAIRING_CODE_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
    pairing_code = PairingCode.objects.create(
        code_hash=pairing_code_hash(code), terminal_name=terminal_name.strip(),
        created_by=actor.user, expires_at=timezone.now() + PAIRING_CODE_VALIDITY,
    )
    audit_record(actor=actor, action="pairing_code.create", target=pairing_code,
                 terminal_name=pairing_code.terminal_name)
    return pairing_code, code


def terminal_pair(*, code: str, client_address: str, actor: Actor) -> tuple[Terminal, str]:
    """Use a pairing code: a new terminal and its token, if the licence has a free seat.
    Wrong codes are counted per client address; too many pause pairing from there."""
    subject = address_subject(client_address)
    try:
        PAIRING_CODES.check(subject)
        try:
            return _terminal_pair(code=code, client_address=client_address, actor=actor)
        except PairingCodeInvalid:
            # Outside the pairing's transaction, so that the record of it is kept.
            PAIRING_CODES.failed(subject, address=client_address, on_lockout=lockout_audit(
                limit=PAIRING_CODES, actor=actor, address=client_address))
            raise
    except Throttled as throttled:
        raise too_many(throttled) from None


@transaction.atomic
def _terminal_pair(*, code: str, client_address: str, actor: Actor) -> tuple[Terminal, str]:
    # Two tills pairing at once cannot both take the last seat (the code itself held it until now).
    limit = terminal_limit_locked()
    now = timezone.now()
    pairing_code = (PairingCode.objects.select_for_update()
                    .filter(code_hash=pairing_code_hash(code), used_at__isnull=True,
                            expires_at__gt=now)
                    .first())
    if pairing_code is None:
        raise PairingCodeInvalid()
    if Terminal.objects.filter(is_active=True).count() >= limit:
        raise TerminalLimitReached(limit=limit)
    terminal, token = terminal_create(name=pairing_code.terminal_name, actor=actor)
    pairing_code.used_at, pairing_code.terminal = now, terminal
    pairing_code.save(update_fields=["used_at", "terminal"])
    audit_record(actor=actor, action="pairing_code.use", target=pairing_code, terminal=terminal.pk,
                 address=client_address)
    return terminal, token


@transaction.atomic
def cashier_group() -> Group:
    """The cashier role (loyalty.roles), made with its permissions on first use."""
    from loyalty.roles import BUILT_IN_ROLES, CASHIER, role_group

    return role_group(BUILT_IN_ROLES[CASHIER])


def _signed_in(user, *, terminal: Terminal, method: str, address: str):
    if not user.has_perm(TILL_PERMISSION):
        raise SignInFailed(_("This account may not use the till. The owner can give it the "
                             "cashier role."))
    audit_record(actor=Actor(user=user, terminal=terminal, address=address), action=SIGN_IN_ACTION,
                 method=method)
    return user


def _till_password(*, email: str, password: str, terminal: Terminal, address: str, user=None):
    """The active user with this e-mail and password, or None: counted as on every other sign-in
    form of the merchant (per account and address), a lock-out written in its audit log."""
    try:
        return password_check(email=email, password=password, address=address, on_lockout=lockout_audit(
            limit=PASSWORDS, actor=Actor(user=user, terminal=terminal), account=email, address=address))
    except Throttled as throttled:
        raise too_many(throttled, PASSWORDS_PAUSED) from None


def till_sign_in_password(*, email: str, password: str, terminal: Terminal, address: str):
    """The staff member with this e-mail and password, signing in at this till."""
    user = _till_password(email=email, password=password, terminal=terminal, address=address)
    if user is None:
        raise SignInFailed()
    return _signed_in(user, terminal=terminal, method="password", address=address)


def till_sign_in_pin(*, user_id: int, pin: str, terminal: Terminal, address: str):
    """The quick switch: a colleague who signed in here before, with their PIN. Wrong PINs are
    counted per person, across tills, because that is what a guesser would try."""
    subject = f"user:{user_id}"
    try:
        PINS.check(subject)
        user = till_staff_with_pin(terminal).filter(pk=user_id).first()
        if user is None or not check_password(pin, user.pos_pin):
            PINS.failed(subject, user=user_id, on_lockout=lockout_audit(
                limit=PINS, actor=Actor(terminal=terminal), user=user_id))
            raise SignInFailed(_("This PIN is not right."))
    except Throttled as throttled:
        raise too_many(throttled, PINS_PAUSED) from None
    return _signed_in(user, terminal=terminal, method="pin", address=address)


def till_pin_set(*, user, password: str, pin: str, terminal: Terminal, address: str) -> bool:
    """The signed-in person's PIN for the quick switch, set once their password shows it is them
    (under the sign-in throttle); False, and nothing set, for a wrong password."""
    confirmed = _till_password(email=user.email, password=password, terminal=terminal, address=address,
                               user=user)
    if confirmed is None or confirmed.pk != user.pk:
        return False
    pos_pin_set(user=user, pin=pin, actor=Actor(user=user, terminal=terminal))
    return True


@transaction.atomic
def pos_pin_set(*, user, pin: str, actor: Actor):
    """A staff member's PIN, hashed like a password."""
    user.pos_pin = make_password(pin)
    user.save(update_fields=["pos_pin"])
    audit_record(actor=actor, action="user.pos_pin_set", target=user)
    return user


def till_card_register(*, card_number: str, first_name: str, email: str, consent: bool,
                       actor: Actor) -> Card:
    """Hand out a card at the counter: the holder's first name, an e-mail address if they like,
    and their consent, which is written down with where it was given and the version of the terms'
    wording in force. With an e-mail address, the person is invited to the customer portal."""
    if refusal := service_refusal():
        raise refusal
    if not consent:
        raise ConsentRequired()
    # Looked up like a scan, so that registering cannot be used to probe for card numbers.
    card = card_find(card_number, actor=actor)
    with transaction.atomic():
        card = card_register(card_number=card.number, actor=actor, first_name=first_name,
                             email=email)
        wording = consent_wording_current(Consent.Purpose.TERMS)
        consent_record(cardholder=card.cardholder, purpose=Consent.Purpose.TERMS, granted=True,
                       source=Consent.Source.TILL, actor=actor,
                       wording_version=str(wording.version) if wording is not None else "")
        portal_invitation_send(card.cardholder)
    return card
