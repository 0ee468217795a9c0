"""Cardholders: registering a card to a person, keeping their data and its blind indexes current,
the merchant's own fields and their values, consents, and finding people by name, number, e-mail
or phone."""
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from loyalty import search
from loyalty.actors import Actor
from loyalty.errors import CardholderAnonymised, CardNotActive, NotPermitted
from loyalty.models import BonusAction, Card, Cardholder, Consent, CustomField
from loyalty.segments import age_band_of, postcode_area_of
from loyalty.services.audit import audit_record, audit_records
from loyalty.services.bookings import ADJUST_PERMISSION, VOUCHER_ISSUE_PERMISSION, booking_bonus
from loyalty.services.cards import card_block_refusal, card_replace_refusal
from loyalty.services.consent_wordings import consent_wording_current, consent_wording_of
from loyalty.services.ledger import SystemKey
from loyalty.services.lookup import card_find
from tenants.encryption import blind_index, normalise_email, normalise_phone
from tenants.selectors import merchant_current

PERSONAL_FIELDS = ("first_name", "last_name", "gender", "birth_date", "postcode", "email", "phone",
                   "custom_data", "language")


INDEXES = ["email_index", "phone_index", "birthday_index", "name_index", "field_index", "age_band", "postcode_area"]

# Who may change a person's data, record a consent they gave in the back office, and define the
# merchant's own fields (loyalty.roles: "See and edit cardholders", "Define own cardholder fields").
CHANGE_CARDHOLDER_PERMISSION = "loyalty.change_cardholder"
ADD_CUSTOM_FIELD_PERMISSION = "loyalty.add_customfield"
CHANGE_CUSTOM_FIELD_PERMISSION = "loyalty.change_customfield"


def birthday_key(day: datetime.date) -> str:
    return day.strftime("%m-%d")


def _hashed(key: str, *, field: str, length: int) -> str:
    return blind_index(key, schema_name=connection.schema_name, field=field)[:length]


def name_index_of(*names: str) -> list[str]:
    """The hashed search keys of a person's names (loyalty.search)."""
    return sorted({_hashed(key, field="name", length=search.KEY_LENGTH) for key in search.name_keys(*names)})


def field_value_key(field_key: str, value) -> str:
    """The hashed key of one own field's stored value, for filters: "<key>=<value>", case-folded."""
    return _hashed(f"{field_key}={str(value).casefold()}", field="custom", length=16)


def field_index_of(custom_data: dict) -> list[str]:
    return sorted({field_value_key(key, value) for key, value in (custom_data or {}).items()
                   if value is not None and value != ""})


def custom_fields_active() -> list[CustomField]:
    return list(CustomField.objects.filter(is_active=True))


def custom_data_clean(raw: dict, *, fields: list[CustomField] | None = None,
                      only_given: bool = False) -> dict:
    """The own fields' values to store, each checked by its field's rule (CustomField.value_clean).
    Raises ValidationError with a message per field key. With `only_given`, fields missing from
    `raw` are not checked (a partial update); otherwise a required field must have a value."""
    fields = custom_fields_active() if fields is None else fields
    by_key = {field.key: field for field in fields}
    errors, clean = {}, {}
    for key in raw:
        if key not in by_key:
            errors[key] = [ValidationError(_("There is no own field “%(key)s”.") % {"key": key})]
    for field in fields:
        if only_given and field.key not in raw:
            continue
        try:
            value = field.value_clean(raw.get(field.key))
        except ValidationError as error:
            errors[field.key] = error.error_list
            continue
        if value is not None:
            clean[field.key] = value
    if errors:
        raise ValidationError(errors)
    return clean


def cardholder_indexes_refresh(cardholder: Cardholder) -> Cardholder:
    """Compute the blind indexes (names, own fields, e-mail, phone, birthday) from the person's
    data, without saving: every write goes through here, and rows written in bulk (an import, a
    benchmark) call it for each row before bulk_create."""
    schema = connection.schema_name
    cardholder.name_index = name_index_of(cardholder.first_name or "", cardholder.last_name or "")
    cardholder.field_index = field_index_of(cardholder.custom_data)
    country = merchant_current().country
    email = normalise_email(cardholder.email or "")
    phone = normalise_phone(cardholder.phone or "", country=country)
    cardholder.email_index = blind_index(email, schema_name=schema, field="email") if email else ""
    cardholder.phone_index = blind_index(phone, schema_name=schema, field="phone") if phone else ""
    cardholder.birthday_index = (
        blind_index(birthday_key(cardholder.birth_date), schema_name=schema, field="birthday")
        if cardholder.birth_date else ""
    )
    cardholder.age_band = age_band_of(cardholder.birth_date, on=timezone.localdate())
    cardholder.postcode_area = postcode_area_of(cardholder.postcode)
    return cardholder


def cardholder_find_by_email(email: str) -> Cardholder | None:
    normalised = normalise_email(email)
    if not normalised:
        return None
    index = blind_index(normalised, schema_name=connection.schema_name, field="email")
    return Cardholder.objects.filter(email_index=index, anonymised_at__isnull=True).first()


def cardholder_find_by_phone(phone: str) -> Cardholder | None:
    normalised = normalise_phone(phone, country=merchant_current().country)
    if not normalised:
        return None
    index = blind_index(normalised, schema_name=connection.schema_name, field="phone")
    return Cardholder.objects.filter(phone_index=index, anonymised_at__isnull=True).first()


def _cardholder_new(data: dict) -> Cardholder:
    """A new cardholder with its indexes, checked by the model's rules, not saved yet."""
    unknown = set(data) - set(PERSONAL_FIELDS)
    if unknown:
        raise TypeError(f"Unknown cardholder fields: {', '.join(sorted(unknown))}")
    cardholder = Cardholder(**data)
    cardholder_indexes_refresh(cardholder)
    cardholder.full_clean(exclude=INDEXES)
    return cardholder


@transaction.atomic
def cardholder_create(*, actor: Actor, **data) -> Cardholder:
    cardholder = _cardholder_new(data)
    cardholder.save()
    audit_record(actor=actor, action="cardholder.create", target=cardholder)
    return cardholder


@transaction.atomic
def cardholders_create(*, people: list[dict], actor: Actor) -> list[Cardholder]:
    """Many cardholders at once (an import): each made and checked as by cardholder_create, all
    written in one statement, each audited."""
    cardholders = Cardholder.objects.bulk_create([_cardholder_new(data) for data in people])
    audit_records(actor=actor, action="cardholder.create", entries=[(holder, {}) for holder in cardholders])
    return cardholders


@transaction.atomic
def cardholder_update(*, cardholder: Cardholder, actor: Actor, **data) -> Cardholder:
    """Change a person's data (needs loyalty.change_cardholder for a person). Only what differs is
    written; the audit names the fields and own fields changed, never their values."""
    NotPermitted.unless(actor, CHANGE_CARDHOLDER_PERMISSION)
    return cardholder_change(cardholder=cardholder, actor=actor, data=data)


def cardholder_change(*, cardholder: Cardholder, actor: Actor, data: dict,
                      allowed: tuple[str, ...] = PERSONAL_FIELDS) -> Cardholder:
    """What every change of a person's data does, whoever asked (the back office through
    cardholder_update, the person in the portal through loyalty.services.privacy): refuse an
    anonymised person, write only what differs with fresh indexes, and audit the names of the
    fields changed. The caller checks who may, inside its transaction."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown cardholder fields: {', '.join(sorted(unknown))}")
    # Checked on the locked row: a deletion that went through meanwhile is not undone by a stale form.
    if Cardholder.objects.select_for_update().filter(pk=cardholder.pk, anonymised_at__isnull=False).exists():
        raise CardholderAnonymised()
    changed = sorted(field for field, value in data.items() if getattr(cardholder, field) != value)
    if not changed:
        return cardholder
    own_fields = []
    if "custom_data" in changed:
        before, after = cardholder.custom_data or {}, data["custom_data"] or {}
        own_fields = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    for field in changed:
        setattr(cardholder, field, data[field])
    cardholder_indexes_refresh(cardholder)
    cardholder.full_clean(exclude=INDEXES)
    cardholder.save()
    audit_record(actor=actor, action="cardholder.update", target=cardholder, fields=changed,
                 **({"own_fields": own_fields} if own_fields else {}))
    return cardholder


def custom_data_merged(current: dict, clean: dict, *, fields: list[CustomField]) -> dict:
    """The stored own fields' values after a form of `fields` was saved: what the form holds
    (a value emptied is dropped), and the values of fields not on the form (deactivated ones) as
    they were."""
    on_form = {field.key for field in fields}
    return {**{key: value for key, value in (current or {}).items() if key not in on_form}, **clean}


@transaction.atomic
def card_register(*, card_number: str, actor: Actor, **data) -> Card:
    """Give a card to a person (a new cardholder); active cards with a sign-up bonus get it once."""
    card = card_find(card_number, actor=actor, queryset=Card.objects.select_for_update())
    if card.status not in (Card.Status.ACTIVE, Card.Status.UNISSUED) or card.cardholder_id:
        raise CardNotActive(status=card.get_status_display())
    card.cardholder = cardholder_create(actor=actor, **data)
    card.status = Card.Status.ACTIVE
    card.save(update_fields=["cardholder", "status"])
    audit_record(actor=actor, action="card.register", target=card)
    for action in BonusAction.objects.filter(kind=BonusAction.Kind.SIGN_UP, program__is_active=True,
                                             program__kind="points").select_related("program"):
        if action.applies_on(datetime.date.today()):
            booking_bonus(card_number=card.number, program=action.program, points=action.points,
                          reason=action.name, actor=actor,
                          idempotency_key=SystemKey(f"sign-up:{action.pk}:{card.cardholder_id}"))
    return card


@dataclass(frozen=True)
class CardholderActions:
    """What an actor may do on a person's page: the page offers exactly this, and each service
    checks the same permission and card state again when asked."""

    edit: bool = False
    consent: bool = False
    anonymise: bool = False  # delete the person's data on their request (loyalty.services.privacy)
    adjust: bool = False
    voucher: bool = False
    block: frozenset[int] = frozenset()  # the cards (ids) that can be blocked
    replace: frozenset[int] = frozenset()
    bookable_cards: tuple[Card, ...] = ()  # where an adjustment or a voucher can be booked


def cardholder_actions(*, cardholder: Cardholder, cards: list[Card], actor: Actor) -> CardholderActions:
    """The actions for this person and their cards (from loyalty.selectors_cardholders.cardholder_cards);
    none for an anonymised person."""
    if cardholder.anonymised_at is not None:
        return CardholderActions()
    bookable = tuple(card for card in cards if card.booking_refusal() is None)
    return CardholderActions(
        edit=actor.may(CHANGE_CARDHOLDER_PERMISSION),
        consent=actor.may(CHANGE_CARDHOLDER_PERMISSION),
        anonymise=actor.may(CHANGE_CARDHOLDER_PERMISSION),
        adjust=bool(bookable) and actor.may(ADJUST_PERMISSION),
        voucher=bool(bookable) and actor.may(VOUCHER_ISSUE_PERMISSION, device_alone=True),
        block=frozenset(card.pk for card in cards if card_block_refusal(card, actor=actor) is None),
        replace=frozenset(card.pk for card in cards if card_replace_refusal(card, actor=actor) is None),
        bookable_cards=bookable,
    )


# --- Own fields ----------------------------------------------------------------------------------

# Keys the fixed fields of every cardholder (and their card) go by in imports and exports.
RESERVED_KEYS = frozenset({*PERSONAL_FIELDS, "id", "card", "card_number", "created_at", "anonymised_at"})
KEY_LENGTH = CustomField._meta.get_field("key").max_length
CHOICE_LENGTH = CustomField._meta.get_field("choices").base_field.max_length
MAX_CHOICES = 100
CHANGEABLE = ("label", "choices", "required", "at_registration", "position")


def custom_field_key_from(label: str) -> str:
    """The key a field gets from its label: "Lieblingsbrot" → "lieblingsbrot", "Größe in cm" →
    "groesse-in-cm"."""
    return slugify(search.umlauts_spelled_out(label.casefold()))[:KEY_LENGTH].strip("-")


def _key_free(base: str) -> str:
    """The key itself, or with -2, -3, … when another field has it (keys stay unique)."""
    taken = set(CustomField.objects.filter(key__startswith=base).values_list("key", flat=True)) | RESERVED_KEYS
    key, number = base, 1
    while key in taken:
        number += 1
        suffix = f"-{number}"
        key = base[:KEY_LENGTH - len(suffix)] + suffix
    return key


def choices_clean(choices) -> list[str]:
    """The choices of a selection list, one per entry: trimmed, empty ones dropped, each once
    (whatever its case); ValidationError in plain words when one is too long or there are too many."""
    clean, seen = [], set()
    for choice in choices or []:
        choice = " ".join(str(choice).split())
        if not choice or choice.casefold() in seen:
            continue
        if len(choice) > CHOICE_LENGTH:
            raise ValidationError({"choices": _("A choice may have at most %(max)d characters: “%(choice)s”.")
                                   % {"max": CHOICE_LENGTH, "choice": choice[:40] + "…"}})
        seen.add(choice.casefold())
        clean.append(choice)
    if len(clean) > MAX_CHOICES:
        raise ValidationError({"choices": _("A selection list may have at most %(max)d choices.")
                               % {"max": MAX_CHOICES}})
    return clean


def _label_clean(label: str) -> str:
    label = " ".join(str(label).split())
    if not label:
        raise ValidationError({"label": _("Please give the field a name.")})
    return label


def _custom_field_save(field: CustomField) -> CustomField:
    field.label = _label_clean(field.label)
    field.choices = choices_clean(field.choices) if field.kind == CustomField.Kind.CHOICE else []
    # The key's uniqueness is checked by the caller, with a message of ours.
    field.full_clean(validate_unique=False)
    field.save()
    return field


@transaction.atomic
def custom_field_create(*, actor: Actor, label: str, kind: str = CustomField.Kind.TEXT, key: str = "",
                        choices=(), required: bool = False, at_registration: bool = False,
                        position: int | None = None) -> CustomField:
    """A new own field. Its key comes from the label unless one is given, and stays as it is
    afterwards (imports and exports name the field by it); a new field comes last unless given a
    position. ValidationError in plain words, per form field, when the definition does not fit."""
    NotPermitted.unless(actor, ADD_CUSTOM_FIELD_PERMISSION)
    label = _label_clean(label)
    typed = key.strip()
    key = custom_field_key_from(typed) if typed else _key_free(custom_field_key_from(label))
    if not key:
        raise ValidationError({"key": _("A key is made of letters, digits and hyphens: please type one "
                                        "with at least one letter or digit.")})
    if key in RESERVED_KEYS:
        raise ValidationError({"key": _("“%(key)s” is the name of a field every cardholder has: please "
                                        "choose another key.") % {"key": key}})
    if CustomField.objects.filter(key=key).exists():
        raise ValidationError({"key": _("Another own field has the key “%(key)s” already: please choose "
                                        "another one.") % {"key": key}})
    if position is None:
        position = (CustomField.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    field = _custom_field_save(CustomField(
        key=key, label=label, kind=kind, choices=list(choices), required=required,
        at_registration=at_registration, position=position))
    audit_record(actor=actor, action="custom_field.create", target=field, key=field.key,
                 label=field.label, kind=field.kind)
    return field


@transaction.atomic
def custom_field_update(*, field: CustomField, actor: Actor, **changes) -> CustomField:
    """Change a field's label, choices, whether it is required or asked at registration, and its
    position. Its key and type stay: values stored under them keep their meaning. Values given
    before a choice was removed stay as they were."""
    NotPermitted.unless(actor, CHANGE_CUSTOM_FIELD_PERMISSION)
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise TypeError(f"Own fields cannot change: {', '.join(sorted(unknown))}")
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    before = {name: getattr(field, name) for name in CHANGEABLE}
    for name, value in changes.items():
        setattr(field, name, list(value) if name == "choices" else value)
    field = _custom_field_save(field)
    after = {name: getattr(field, name) for name in CHANGEABLE}
    changed = {name: [before[name], after[name]] for name in CHANGEABLE if before[name] != after[name]}
    if changed:
        audit_record(actor=actor, action="custom_field.update", target=field, key=field.key, changes=changed)
    return field


@transaction.atomic
def custom_field_set_active(*, field: CustomField, active: bool, actor: Actor) -> CustomField:
    """Deactivate a field instead of deleting it: it leaves the forms, filters and registration,
    and the values people have stay stored (and show on their page). Reactivating brings it back."""
    NotPermitted.unless(actor, CHANGE_CUSTOM_FIELD_PERMISSION)
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    if field.is_active != active:
        field.is_active = active
        field.save(update_fields=["is_active"])
        audit_record(actor=actor, action="custom_field.reactivate" if active else "custom_field.deactivate",
                     target=field, key=field.key)
    return field


# --- Consents ------------------------------------------------------------------------------------


def consent_record(*, cardholder: Cardholder, purpose: str, granted: bool, source: str, actor: Actor,
                   wording_version: str = "") -> Consent:
    """A consent given or withdrawn: a new row each time, the earlier ones stay."""
    return consents_record(consents=[(cardholder, purpose, granted)], source=source, actor=actor,
                           wording_version=wording_version)[0]


def consents_record(*, consents: list[tuple[Cardholder, str, bool]], source: str, actor: Actor,
                    wording_version: str = "") -> list[Consent]:
    """Consents given or withdrawn, (cardholder, purpose, granted) each, written together."""
    rows = Consent.objects.bulk_create([
        Consent(cardholder=cardholder, purpose=purpose, granted=granted, source=source,
                wording_version=wording_version, actor_user=actor.user, actor_terminal=actor.terminal)
        for cardholder, purpose, granted in consents])
    audit_records(actor=actor, action="cardholder.consent", entries=[
        (cardholder, {"purpose": purpose, "granted": granted, "source": source})
        for cardholder, purpose, granted in consents])
    return rows


@transaction.atomic
def consent_record_in_back_office(*, cardholder: Cardholder, purpose: str, granted: bool, actor: Actor,
                                  wording_version: int | None = None) -> Consent:
    """A consent the person gave or withdrew by other means (on paper, by phone), written down in
    the back office by someone who may change the person's data: with the version of the wording
    they were shown, the current one unless `wording_version` names an earlier one of the purpose.
    ValidationError when no such version exists; refused for an anonymised person."""
    NotPermitted.unless(actor, CHANGE_CARDHOLDER_PERMISSION)
    if purpose not in Consent.Purpose.values:
        raise ValueError(f"Unknown purpose {purpose!r}")
    if Cardholder.objects.select_for_update().filter(pk=cardholder.pk, anonymised_at__isnull=False).exists():
        raise CardholderAnonymised()
    wording = (consent_wording_current(purpose) if wording_version is None
               else consent_wording_of(purpose, wording_version))
    if wording is None and wording_version is not None:
        raise ValidationError({"wording": _("There is no version %(version)s of this wording.")
                               % {"version": wording_version}})
    return consent_record(cardholder=cardholder, purpose=purpose, granted=granted,
                          source=Consent.Source.BACK_OFFICE, actor=actor,
                          wording_version=str(wording.version) if wording else "")


def consents_current(cardholder: Cardholder) -> dict[str, Consent]:
    """The person's current choice per purpose (the latest row of each)."""
    current = {}
    for consent in cardholder.consents.order_by("-id"):
        current.setdefault(consent.purpose, consent)
    return current


# --- Search --------------------------------------------------------------------------------------

SEARCH_CANDIDATES = 2000  # rows checked against their decrypted names at most, per search
PHONE_DIGITS = 5  # fewer digits are no phone number


@dataclass(frozen=True)
class CardholderSearch:
    """What a search found; `incomplete` when a name matched more people than one search checks
    (a few letters of a common name): the newest of them are found, and typing more finds the rest."""

    cardholders: QuerySet[Cardholder]
    incomplete: bool = False


def cardholders_find(query: str, queryset: QuerySet[Cardholder] | None = None, *,
                     candidates: int = SEARCH_CANDIDATES) -> CardholderSearch:
    """Cardholders whose card number starts with the query, whose e-mail or phone is the query, or
    whose names hold every word of it (a part of a surname, whatever its case and accents).
    Names are found through their hashed keys, then checked after decryption (loyalty.search), at
    most `candidates` of them, newest first as the list shows them."""
    queryset = Cardholder.objects.filter(anonymised_at__isnull=True) if queryset is None else queryset
    query = (query or "").strip()
    if not query:
        return CardholderSearch(queryset)
    digits = "".join(char for char in query if char.isdigit())
    if query.replace(" ", "").isdigit():
        holders = list(Card.objects.filter(number__startswith=digits, cardholder__isnull=False)
                       .order_by("-cardholder_id").values_list("cardholder_id", flat=True)[:candidates + 1])
        if len(digits) >= 6 or holders:
            phone = cardholder_find_by_phone(query) if len(digits) >= 6 else None
            ids = {*holders[:candidates], *([phone.pk] if phone else [])}
            return CardholderSearch(queryset.filter(pk__in=ids), incomplete=len(holders) > candidates)
    if "@" in query:
        found = cardholder_find_by_email(query)
        return CardholderSearch(queryset.filter(pk=found.pk if found else None))
    if len(digits) >= PHONE_DIGITS and (phone := cardholder_find_by_phone(query)):
        return CardholderSearch(queryset.filter(pk=phone.pk))
    terms = search.query_terms(query)
    if not terms:
        return CardholderSearch(queryset.none())
    keys = sorted({_hashed(key, field="name", length=search.KEY_LENGTH)
                   for term in terms for key in search.query_keys(term)})
    rows = list(queryset.filter(name_index__contains=keys)
                .only("pk", "first_name", "last_name").order_by("-pk")[:candidates + 1])
    ids = [row.pk for row in rows[:candidates]
           if search.name_matches(terms, row.first_name or "", row.last_name or "")]
    return CardholderSearch(queryset.filter(pk__in=ids), incomplete=len(rows) > candidates)
