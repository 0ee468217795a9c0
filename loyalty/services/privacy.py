"""The person's own say over their data: their profile and e-mail address changed in the customer
portal, their consents given and withdrawn with the wording they were shown, their data as a
download (JSON and CSV), and the deletion of their personal data, asked for in the portal and
confirmed by e-mail, or done in the back office on their request.

Deletion anonymises: every personal field and every blind index is emptied and the cards are
either detached (an anonymous card, still usable by whoever holds it) or blocked. The ledger
stays as it is (bookkeeping must be kept for years, § 147 AO), and so do the consent rows, which
hold no personal data but prove what was agreed."""
import csv
import datetime
import io
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _

from loyalty.actors import Actor
from loyalty.catalog import catalog
from loyalty.errors import (
    CardholderAnonymised,
    DeletionNeedsEmail,
    EmailChangeNotPending,
    EmailTaken,
    NotPermitted,
    TooManyAttempts,
    WordingChanged,
)
from loyalty.models import (
    Card,
    Cardholder,
    Consent,
    ConsentWording,
    WalletDevice,
    WalletRegistration,
)
from loyalty.selectors_cardholders import (
    cardholder_accounts,
    cardholder_bookings,
    cardholder_cards,
    cardholder_consents,
    cardholder_open_lots,
    custom_fields_for,
)
from loyalty.services.audit import audit_record
from loyalty.services.cardholders import (
    CHANGE_CARDHOLDER_PERMISSION,
    cardholder_change,
    cardholder_find_by_email,
    consent_record,
    consents_current,
)
from loyalty.services.consent_wordings import (
    consent_wording_of,
    consent_wordings_as_shown,
    consent_wordings_current,
    consent_wordings_for,
)
from loyalty.services.exports import (
    BOOLEAN,
    DATE,
    DATETIME,
    EUROS,
    INTEGER,
    TEXT,
    Cells,
    spreadsheet_safe,
)
from loyalty.services.portal_accounts import (
    CONFIRM_NEW_EMAIL,
    DELETION,
    LinkKind,
    portal_link_token,
)
from tenants.accounts.invitations import merchant_url
from tenants.encryption import blind_index, normalise_email
from tenants.selectors import merchant_current
from tenants.throttling import PORTAL_EMAILS, Throttled

# What a person changes of themselves in the portal; the e-mail address only through a confirmation.
PROFILE_FIELDS = ("first_name", "last_name", "gender", "birth_date", "postcode", "phone", "language", "custom_data")
# What a person gives or withdraws in the portal with one click. The terms and the privacy notice are
# the condition of a registered card: withdrawing them means deleting the card's personal data.
PORTAL_PURPOSES = (Consent.Purpose.NEWSLETTER, Consent.Purpose.SMS, Consent.Purpose.ANALYSIS)
EMAIL_MAX_LENGTH = 254
DATA_FORMAT_VERSION = 1


def _refuse_unless_themself(actor: Actor, cardholder: Cardholder) -> None:
    if not actor.acts_for(cardholder.pk):
        raise NotPermitted()


def _locked(cardholder: Cardholder) -> Cardholder:
    """The person's row, locked for this transaction; refused once anonymised."""
    holder = Cardholder.objects.select_for_update().get(pk=cardholder.pk)
    if holder.anonymised_at is not None:
        raise CardholderAnonymised()
    return holder


# --- E-mails -------------------------------------------------------------------------------------

def portal_url(name: str, *args) -> str:
    """The full address of a portal page on the current merchant's host (for a link in an e-mail)."""
    return merchant_url(merchant_current(), reverse(f"portal:{name}", args=args, urlconf=settings.ROOT_URLCONF))


def _mail_subjects(actor: Actor, address: str) -> list[str]:
    """Who is counted for PORTAL_EMAILS: the recipient (by a keyed hash, never the address), the
    person asking and the network address asking."""
    recipient = blind_index(normalise_email(address), schema_name=connection.schema_name, field="email")
    subjects = [f"recipient:{recipient}"]
    if actor.cardholder is not None:
        subjects.append(f"cardholder:{actor.cardholder.pk}")
    if actor.address:
        subjects.append(f"address:{actor.address}")
    return subjects


def _mail_allowed(subjects: list[str]) -> None:
    """Count an e-mail about to be sent on request; refused (TooManyAttempts) past PORTAL_EMAILS's
    limit for any of the subjects, so the portal cannot be used to flood a mailbox."""
    try:
        PORTAL_EMAILS.check(*subjects)
        if wait := PORTAL_EMAILS.fail(*subjects):
            raise Throttled(PORTAL_EMAILS, wait)
    except Throttled as throttled:
        raise TooManyAttempts(_("We have sent several e-mails just now. Please try again in %(minutes)s min."),
                              retry_after=throttled.retry_after) from None


def _mail_after_commit(*, to: str, template: str, language: str, **context) -> None:
    """An e-mail in the person's language (templates loyalty/email/<template>[_subject].txt), sent
    once the transaction commits."""
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"merchant": merchant_current(), **context}
        subject = render_to_string(f"loyalty/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"loyalty/email/{template}.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [to]))


def masked_email(address: str) -> str:
    """`h•••@example.com`: enough for the person to recognise their address, not to learn one."""
    name, _at, domain = (address or "").partition("@")
    return f"{name[:1]}•••@{domain}" if domain else "•••"


# --- Profile -------------------------------------------------------------------------------------

@transaction.atomic
def cardholder_profile_update(*, cardholder: Cardholder, actor: Actor, **data) -> Cardholder:
    """The person changes their own data in the portal (not the e-mail address: see
    cardholder_email_change_request). The same change as the back office's, audited alike."""
    _refuse_unless_themself(actor, cardholder)
    return cardholder_change(cardholder=cardholder, actor=actor, data=data, allowed=PROFILE_FIELDS)


def email_clean(email: str) -> str:
    address = " ".join(str(email or "").split())
    try:
        if not address or len(address) > EMAIL_MAX_LENGTH:
            raise ValidationError("")
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email_new": _("Please enter an e-mail address like anna@example.com.")}) from None
    return address


@transaction.atomic
def cardholder_email_change_request(*, cardholder: Cardholder, email: str, actor: Actor) -> None:
    """A new e-mail address for the person: it waits in `email_new` until the link sent to it is
    followed. When the address belongs to another cardholder of the merchant, nothing is stored
    and that address gets a notice instead of a link; the person asking sees the same answer in
    both cases (check the new inbox), so nobody can probe which addresses are customers here."""
    _refuse_unless_themself(actor, cardholder)
    address = email_clean(email)
    holder = _locked(cardholder)
    if normalise_email(address) == normalise_email(holder.email or ""):
        raise ValidationError({"email_new": _("This is your current address already.")})
    _mail_allowed(_mail_subjects(actor, address))
    other = cardholder_find_by_email(address)
    if other is not None and other.pk != holder.pk:
        _mail_after_commit(to=address, template="privacy_email_taken", language=other.language,
                           sign_in=portal_url("sign_in"))
        audit_record(actor=actor, action="cardholder.email_change_request", target=holder, address_taken=True)
        return
    holder.email_new = address
    holder.save(update_fields=["email_new"])
    token = portal_link_token(holder, CONFIRM_NEW_EMAIL)
    _mail_after_commit(to=address, template="privacy_email_confirm", language=holder.language,
                       link=portal_url("confirm_new_email", token), valid_days=_days(CONFIRM_NEW_EMAIL))
    audit_record(actor=actor, action="cardholder.email_change_request", target=holder)


def _days(kind: LinkKind) -> int:
    return max(1, kind.max_age // (24 * 3600))


@transaction.atomic
def cardholder_email_new_confirm(*, cardholder: Cardholder, actor: Actor) -> Cardholder:
    """The link sent to the new address was followed: it becomes the person's address (confirmed
    now), and the old address is told of the change."""
    _refuse_unless_themself(actor, cardholder)
    holder = _locked(cardholder)
    if not holder.email_new:
        raise EmailChangeNotPending()
    other = cardholder_find_by_email(holder.email_new)
    if other is not None and other.pk != holder.pk:
        raise EmailTaken()
    old, new = holder.email, holder.email_new
    holder.email_new, holder.email_confirmed_at = None, timezone.now()
    holder = cardholder_change(cardholder=holder, actor=actor, data={"email": new}, allowed=("email",))
    if old and normalise_email(old) != normalise_email(new):
        _mail_after_commit(to=old, template="privacy_email_changed", language=holder.language,
                           new=masked_email(new))
    return holder


# --- Consents ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConsentRow:
    """A purpose as the portal's consent page shows it."""

    purpose: str
    label: str
    wording: ConsentWording | None  # the current wording: what the person is asked with now
    consent: Consent | None  # the latest row: the person's choice now (None: never asked)
    agreed: ConsentWording | None  # the wording of that row's version
    withdrawable: bool  # one click here (the terms: by deleting the card's data instead)

    @property
    def granted(self) -> bool:
        return self.consent is not None and self.consent.granted


def consents_overview(cardholder: Cardholder) -> list[ConsentRow]:
    """Every purpose with its current wording and the person's choice now, the portal's purposes
    first, the terms and privacy notice last."""
    wordings = consent_wordings_current()
    current = consents_current(cardholder)
    agreed = consent_wordings_for(current.values())
    labels = dict(Consent.Purpose.choices)
    rows = []
    for purpose in (*PORTAL_PURPOSES, Consent.Purpose.TERMS):
        consent = current.get(purpose)
        rows.append(ConsentRow(
            purpose=purpose, label=str(labels[purpose]), wording=wordings.get(purpose), consent=consent,
            agreed=agreed.get((purpose, consent.wording_version)) if consent else None,
            withdrawable=purpose in PORTAL_PURPOSES))
    return rows


@dataclass(frozen=True)
class ConsentLine:
    consent: Consent
    wording: ConsentWording | None


def consents_history(cardholder: Cardholder) -> list[ConsentLine]:
    """Every consent the person gave or withdrew, newest first, with the wording of its version."""
    consents = cardholder_consents(cardholder)
    wordings = consent_wordings_for(consents)
    return [ConsentLine(consent, wordings.get((consent.purpose, consent.wording_version))) for consent in consents]


@transaction.atomic
def consent_portal_set(*, cardholder: Cardholder, purpose: str, granted: bool, wording_version: int,
                       actor: Actor) -> Consent:
    """The person gives or withdraws a consent in the portal: a new row with the version of the
    wording they were shown (`wording_version`, posted back by the page). A consent is given only
    under the current wording: one shown before a new version was written is refused
    (WordingChanged: the page asks again with the new wording). A withdrawal needs no new reading and
    keeps the version shown. Clicking twice records once."""
    _refuse_unless_themself(actor, cardholder)
    if purpose not in PORTAL_PURPOSES:
        raise ValueError(f"Not a purpose of the portal: {purpose!r}")
    holder = _locked(cardholder)
    if granted:
        shown = consent_wordings_as_shown(purposes=[purpose], shown={purpose: wording_version})[purpose]
    elif (shown := consent_wording_of(purpose, wording_version)) is None:
        raise WordingChanged(purposes=[purpose])
    now = consents_current(holder).get(purpose)
    if now is not None and now.granted == granted:
        return now
    return consent_record(cardholder=holder, purpose=purpose, granted=granted, source=Consent.Source.PORTAL,
                          actor=actor, wording_version=str(shown.version))


# --- The person's own data -----------------------------------------------------------------------

def _unit(program) -> str:
    """What a program's amounts count, for a machine: cents of euros, points or stamps."""
    if program.behaviour.counts_money:
        return "cents"
    return "stamps" if program.kind == "stamps" else "points"


def _iso(moment) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def cardholder_data(cardholder: Cardholder) -> dict:
    """Everything the merchant keeps about the person, as one machine-readable document: ISO dates
    and times (the merchant's local time with its offset), amounts as whole numbers in their unit
    (cents for money). Not the secrets (password hash) nor what only the software needs (the keyed
    search hashes). The own fields and consents are labelled in the active language."""
    cards = cardholder_cards(cardholder)
    values = cardholder.custom_data or {}
    history = consents_history(cardholder)
    bookings = list(cardholder_bookings(cardholder).order_by("created_at", "pk"))
    programs = catalog().programs
    return {
        "format_version": DATA_FORMAT_VERSION,
        "merchant": merchant_current().name,
        "created_at": _iso(timezone.now()),
        "person": {
            "first_name": cardholder.first_name, "last_name": cardholder.last_name,
            "gender": cardholder.gender,
            "birth_date": cardholder.birth_date.isoformat() if cardholder.birth_date else None,
            "postcode": cardholder.postcode, "email": cardholder.email, "email_new": cardholder.email_new or None,
            "phone": cardholder.phone, "language": cardholder.language,
            "created_at": _iso(cardholder.created_at), "email_confirmed_at": _iso(cardholder.email_confirmed_at),
            "portal_sign_in_at": _iso(cardholder.portal_sign_in_at), "has_password": bool(cardholder.password),
        },
        "own_fields": [{"key": field.key, "label": field.label, "value": values.get(field.key)}
                       for field in custom_fields_for(cardholder)],
        "cards": [{"number": card.number, "status": card.status, "status_text": str(card.get_status_display()),
                   "replaced_by": card.replaced_by.number if card.replaced_by else None,
                   "created_at": _iso(card.created_at)} for card in cards],
        "balances": [{"card": account.card.number, "program": account.program.name, "program_kind": account.program.kind,
                      "unit": _unit(account.program), "balance": account.balance, "open_claim": account.claim}
                     for account in cardholder_accounts(cardholder)],
        "open_lots": [{"card": lot.account.card.number, "program": lot.account.program.name,
                       "unit": _unit(lot.account.program), "amount": lot.amount, "remaining": lot.remaining,
                       "expires_on": lot.expires_on.isoformat() if lot.expires_on else None,
                       "created_at": _iso(lot.created_at)} for lot in cardholder_open_lots(cardholder)],
        "bookings": [{
            "id": booking.pk, "time": _iso(booking.created_at), "kind": booking.kind,
            "kind_text": str(booking.get_kind_display()), "card": booking.card.number,
            "program": booking.program.name if booking.program else None,
            "purchase_amount_cents": booking.purchase_amount_cents, "receipt_number": booking.receipt_number,
            "terminal": booking.terminal.name if booking.terminal else None, "reason": booking.reason,
            "reverses": booking.reverses_id,
            "entries": [{"program": programs[entry.account.program_id].name
                         if entry.account.program_id in programs else None,
                         "unit": _unit(programs[entry.account.program_id]) if entry.account.program_id in programs
                         else None,
                         "amount": entry.amount, "balance_after": entry.balance_after,
                         "open_claim_change": entry.claim_change}
                        for entry in sorted(booking.entries.all(), key=lambda entry: entry.pk)],
        } for booking in bookings],
        "consents": [{
            "purpose": line.consent.purpose, "purpose_text": str(line.consent.get_purpose_display()),
            "granted": line.consent.granted, "source": line.consent.source,
            "source_text": str(line.consent.get_source_display()), "time": _iso(line.consent.created_at),
            "wording_version": line.consent.wording_version or None,
            "wording": {"de": line.wording.text_de, "en": line.wording.text_en} if line.wording else None,
        } for line in reversed(history)],
    }


@dataclass(frozen=True)
class DataFile:
    name: str
    content_type: str
    content: bytes


def _file_name(extension: str) -> str:
    today = timezone.localdate().isoformat()
    # Translators: part of a file name, in lowercase letters and hyphens only.
    what = slugify(_("my-data"))
    return f"{slugify(merchant_current().name) or 'stammkunde'}-{what}-{today}.{extension}"


def cardholder_data_json(*, cardholder: Cardholder, actor: Actor) -> DataFile:
    """The person's data as one JSON document (cardholder_data); the download is audited."""
    _refuse_unless_themself(actor, cardholder)
    with translation.override(cardholder.language or settings.LANGUAGE_CODE):
        document = cardholder_data(cardholder)
        name = _file_name("json")
    audit_record(actor=actor, action="cardholder.data_download", target=cardholder, format="json")
    return DataFile(name, "application/json; charset=utf-8",
                    json.dumps(document, ensure_ascii=False, indent=2).encode())


def _sections(document: dict, cells: Cells) -> list[tuple[str, list[str], list[list]]]:
    """The document as tables of a spreadsheet: (title, headers, rows of (kind, value) cells)."""
    person = document["person"]
    money = {"cents"}

    def amount(value, unit):
        return (EUROS, value) if unit in money else (INTEGER, value)

    def unit_text(unit):
        return {"cents": "€", "stamps": _("stamps"), "points": _("points")}.get(unit, "")

    def moment(text):
        return (DATETIME, datetime.datetime.fromisoformat(text)) if text else (TEXT, "")

    personal = [
        (_("First name"), (TEXT, person["first_name"])), (_("Last name"), (TEXT, person["last_name"])),
        (_("Gender"), (TEXT, str(dict(Cardholder.Gender.choices).get(person["gender"], "")))),
        (_("Birth date"), (DATE, datetime.date.fromisoformat(person["birth_date"])) if person["birth_date"]
         else (TEXT, "")),
        (_("Postcode"), (TEXT, person["postcode"])), (_("E-mail address"), (TEXT, person["email"])),
        (_("New e-mail address, not confirmed yet"), (TEXT, person["email_new"] or "")),
        (_("Phone"), (TEXT, person["phone"])),
        (_("Language"), (TEXT, str(dict(settings.LANGUAGES).get(person["language"], person["language"])))),
        (_("Customer since"), moment(person["created_at"])),
        (_("E-mail address confirmed at"), moment(person["email_confirmed_at"])),
        (_("Last sign-in to the portal"), moment(person["portal_sign_in_at"])),
        (_("Password set"), (BOOLEAN, person["has_password"])),
    ] + [(field["label"], (TEXT, "" if field["value"] is None else str(field["value"])))
         for field in document["own_fields"]]
    return [
        (_("Personal data"), [_("Field"), _("Value")], [[(TEXT, label), cell] for label, cell in personal]),
        (_("Cards"), [_("Card number"), _("Status"), _("Replaced by"), _("Since")],
         [[(TEXT, card["number"]), (TEXT, card["status_text"]), (TEXT, card["replaced_by"] or ""),
           moment(card["created_at"])] for card in document["cards"]]),
        (_("Balances"), [_("Card number"), _("Program"), _("Balance"), _("Unit"), _("Open claim")],
         [[(TEXT, row["card"]), (TEXT, row["program"]), amount(row["balance"], row["unit"]),
           (TEXT, unit_text(row["unit"])), amount(row["open_claim"], row["unit"])]
          for row in document["balances"]]),
        (_("Open credits and when they expire"),
         [_("Card number"), _("Program"), _("Credited"), _("Left"), _("Unit"), _("Expires on"), _("Time")],
         [[(TEXT, lot["card"]), (TEXT, lot["program"]), amount(lot["amount"], lot["unit"]),
           amount(lot["remaining"], lot["unit"]), (TEXT, unit_text(lot["unit"])),
           (DATE, datetime.date.fromisoformat(lot["expires_on"])) if lot["expires_on"] else (TEXT, _("never")),
           moment(lot["created_at"])] for lot in document["open_lots"]]),
        (_("Bookings"),
         [_("Booking"), _("Time"), _("Kind"), _("Card number"), _("Purchase amount (€)"), _("Receipt number"),
          _("Terminal"), _("Reason"), _("Program"), _("Amount"), _("Balance after"), _("Unit"),
          _("Change of the open claim")],
         [[(INTEGER, booking["id"]), moment(booking["time"]), (TEXT, booking["kind_text"]),
           (TEXT, booking["card"]),
           (EUROS, booking["purchase_amount_cents"]) if booking["purchase_amount_cents"] is not None
           else (TEXT, ""), (TEXT, booking["receipt_number"]), (TEXT, booking["terminal"] or ""),
           (TEXT, booking["reason"]), (TEXT, entry["program"] or ""), amount(entry["amount"], entry["unit"]),
           amount(entry["balance_after"], entry["unit"]), (TEXT, unit_text(entry["unit"])),
           amount(entry["open_claim_change"], entry["unit"])]
          for booking in document["bookings"] for entry in (booking["entries"] or [{
              "program": booking["program"], "amount": None, "balance_after": None, "unit": None,
              "open_claim_change": None}])]),
        (_("Consents"), [_("Time"), _("Purpose"), _("Choice"), _("Where"), _("Wording version"),
                         _("Wording in German"), _("Wording in English")],
         [[moment(row["time"]), (TEXT, row["purpose_text"]),
           (TEXT, _("given") if row["granted"] else _("withdrawn")), (TEXT, row["source_text"]),
           (TEXT, row["wording_version"] or ""), (TEXT, row["wording"]["de"] if row["wording"] else ""),
           (TEXT, row["wording"]["en"] if row["wording"] else "")] for row in document["consents"]]),
    ]


def cardholder_data_csv(*, cardholder: Cardholder, actor: Actor) -> DataFile:
    """The person's data as one CSV file as German Excel opens it (UTF-8 with a byte order mark,
    `;` between cells): a table per part (personal data, cards, balances, open credits, bookings
    with what each changed, consents with their wording), each with a title and headers in the
    person's language; formulas are neutralised as in the merchant's export. The download is audited."""
    _refuse_unless_themself(actor, cardholder)
    with translation.override(cardholder.language or settings.LANGUAGE_CODE):
        cells = Cells()
        document = cardholder_data(cardholder)
        text = io.StringIO()
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        for index, (title, headers, rows) in enumerate(_sections(document, cells)):
            if index:
                writer.writerow([])
            writer.writerow([spreadsheet_safe(capfirst(title))])
            writer.writerow([spreadsheet_safe(header) for header in headers])
            for row in rows:
                writer.writerow(["" if value is None else cells.csv(kind, value) for kind, value in row])
        name = _file_name("csv")
    audit_record(actor=actor, action="cardholder.data_download", target=cardholder, format="csv")
    return DataFile(name, "text/csv; charset=utf-8", text.getvalue().encode("utf-8-sig"))


# --- Deletion ------------------------------------------------------------------------------------

@transaction.atomic
def cardholder_deletion_request(*, cardholder: Cardholder, keep_card_usable: bool, actor: Actor) -> None:
    """The person asks in the portal for their personal data to be deleted: a link to confirm it
    goes to their confirmed e-mail address (it carries their choice for the cards) and works for
    a day, once. Nothing is deleted before the link is followed."""
    _refuse_unless_themself(actor, cardholder)
    holder = _locked(cardholder)
    if not holder.email or holder.email_confirmed_at is None:
        raise DeletionNeedsEmail()
    _mail_allowed(_mail_subjects(actor, holder.email))
    token = portal_link_token(holder, DELETION, keep=1 if keep_card_usable else 0)
    _mail_after_commit(to=holder.email, template="privacy_deletion", language=holder.language,
                       link=portal_url("delete_confirm", token), keep_card_usable=keep_card_usable)
    audit_record(actor=actor, action="cardholder.deletion_request", target=holder,
                 keep_card_usable=keep_card_usable)


# Emptied on anonymisation: every personal field, the keyed hashes made of them, the password.
_BLANK = {"first_name": "", "last_name": "", "gender": "", "birth_date": None, "postcode": "", "email": "",
          "email_new": None, "phone": "", "custom_data": {}, "email_index": "", "phone_index": "",
          "birthday_index": "", "name_index": [], "field_index": [], "password": "", "age_band": "",
          "postcode_area": ""}


@transaction.atomic
def cardholder_anonymise(*, cardholder: Cardholder, keep_card_usable: bool, actor: Actor) -> Cardholder:
    """Delete the person's personal data, by the person themself (the portal's confirmed link) or
    on their request by someone who may change cardholders (the back office).

    Every personal field and blind index is emptied, the password cleared and every portal session
    of the person ended (`portal_generation`, and `anonymised_at`, which also spends every e-mail
    link sent before). The person's cards:
    - kept usable: detached from the person and left as they are: an anonymous card, booked and
      paid with at the till like one never registered, its balances with it; whoever holds it may
      register it again;
    - not kept: an active card is blocked and stays linked to the anonymised row, which holds
      nothing personal: the back office shows that the card was blocked because its holder's data
      were deleted, and a blocked card can never be registered again.
    The bookings and ledger entries stay untouched (they never held personal data), and so do the
    consent rows (purpose, date, source and wording version, but nothing of the person).
    A confirmation goes to the confirmed address the person had, sent once the deletion commits."""
    # A cardholder holds no staff permission: in the portal, only the person themself.
    if not actor.acts_for(cardholder.pk) and not actor.may(CHANGE_CARDHOLDER_PERMISSION):
        raise NotPermitted()
    holder = _locked(cardholder)
    goodbye = holder.email if holder.email and holder.email_confirmed_at else ""
    language = holder.language
    cards = list(Card.objects.select_for_update().filter(cardholder=holder).order_by("pk"))
    for card in cards:
        if keep_card_usable:
            card.cardholder = None
            card.save(update_fields=["cardholder"])
            audit_record(actor=actor, action="card.anonymise", target=card)
        elif card.status in (Card.Status.ACTIVE, Card.Status.UNISSUED):
            card.status = Card.Status.BLOCKED
            card.save(update_fields=["status"])
            audit_record(actor=actor, action="card.block", target=card, on_deletion=True)
    # The phones holding a pass of these cards are forgotten: a push token identifies the person's
    # device. The pass stays on the phone as it was, and is no longer updated.
    WalletRegistration.objects.filter(wallet_pass__card__in=cards).delete()
    WalletDevice.objects.filter(registrations__isnull=True).delete()
    for field, value in _BLANK.items():
        setattr(holder, field, value)
    holder.anonymised_at = timezone.now()
    holder.save()
    Cardholder.objects.filter(pk=holder.pk).update(portal_generation=F("portal_generation") + 1)
    holder.refresh_from_db(fields=["portal_generation"])
    audit_record(actor=actor, action="cardholder.anonymise", target=holder, keep_card_usable=keep_card_usable,
                 count=len(cards))
    if goodbye:
        _mail_after_commit(to=goodbye, template="privacy_deleted", language=language,
                           keep_card_usable=keep_card_usable, cards=[card.number for card in cards])
    return holder
