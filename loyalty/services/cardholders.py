"""Cardholders: registering a card to a person, keeping their data and its blind indexes current,
their own fields' values, their consents, and finding them by name, number, e-mail or phone."""
import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet

from loyalty import search
from loyalty.actors import Actor
from loyalty.errors import CardNotActive
from loyalty.models import BonusAction, Card, Cardholder, Consent, CustomField
from loyalty.services.audit import audit_record, audit_records
from loyalty.services.bookings import booking_bonus
from loyalty.services.ledger import SystemKey
from loyalty.services.lookup import card_find
from tenants.encryption import blind_index, normalise_email, normalise_phone
from tenants.selectors import merchant_current

PERSONAL_FIELDS = ("first_name", "last_name", "gender", "birth_date", "postcode", "email", "phone",
                   "custom_data", "language")


INDEXES = ["email_index", "phone_index", "birthday_index", "name_index", "field_index"]


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
            errors[key] = [ValidationError("There is no own field “%(key)s”.", params={"key": key})]
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


def _indexes_refresh(cardholder: Cardholder) -> None:
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
    _indexes_refresh(cardholder)
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
    unknown = set(data) - set(PERSONAL_FIELDS)
    if unknown:
        raise TypeError(f"Unknown cardholder fields: {', '.join(sorted(unknown))}")
    for field, value in data.items():
        setattr(cardholder, field, value)
    _indexes_refresh(cardholder)
    cardholder.full_clean(exclude=INDEXES)
    cardholder.save()
    # The audit names the fields changed, never their values.
    audit_record(actor=actor, action="cardholder.update", target=cardholder, fields=sorted(data))
    return cardholder


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


def consents_current(cardholder: Cardholder) -> dict[str, Consent]:
    """The person's current choice per purpose (the latest row of each)."""
    current = {}
    for consent in cardholder.consents.order_by("-id"):
        current.setdefault(consent.purpose, consent)
    return current


# --- Search --------------------------------------------------------------------------------------

SEARCH_CANDIDATES = 2000  # rows checked against their decrypted names at most, per search


def cardholders_search(query: str, queryset: QuerySet[Cardholder] | None = None) -> QuerySet[Cardholder]:
    """Cardholders whose card number starts with the query, whose e-mail or phone is the query, or
    whose names hold every word of it (a part of a surname, whatever its case and accents).
    Names are found through their hashed keys, then checked after decryption (loyalty.search)."""
    queryset = Cardholder.objects.filter(anonymised_at__isnull=True) if queryset is None else queryset
    query = (query or "").strip()
    if not query:
        return queryset
    digits = query.replace(" ", "")
    if digits.isdigit():
        by_number = queryset.filter(cards__number__startswith=digits)
        if len(digits) >= 6 or by_number.exists():
            phone = cardholder_find_by_phone(query) if len(digits) >= 6 else None
            ids = set(by_number.values_list("pk", flat=True)) | ({phone.pk} if phone else set())
            return queryset.filter(pk__in=ids)
    if "@" in query:
        found = cardholder_find_by_email(query)
        return queryset.filter(pk=found.pk if found else None)
    if any(char.isdigit() for char in query) and (phone := cardholder_find_by_phone(query)):
        return queryset.filter(pk=phone.pk)
    terms = search.query_terms(query)
    if not terms:
        return queryset.none()
    keys = sorted({_hashed(key, field="name", length=search.KEY_LENGTH)
                   for term in terms for key in search.query_keys(term)})
    candidates = (queryset.filter(name_index__contains=keys)
                  .only("pk", "first_name", "last_name").order_by("pk")[:SEARCH_CANDIDATES])
    ids = [row.pk for row in candidates if search.name_matches(terms, row.first_name or "", row.last_name or "")]
    return queryset.filter(pk__in=ids)
