"""Cardholders: registering a card to a person, keeping their data and its blind indexes current."""
import datetime

from django.db import connection, transaction

from loyalty.actors import Actor
from loyalty.errors import CardNotActive
from loyalty.models import BonusAction, Card, Cardholder
from loyalty.services.audit import audit_record
from loyalty.services.bookings import booking_bonus
from loyalty.services.ledger import SystemKey
from loyalty.services.lookup import card_find
from tenants.encryption import blind_index, normalise_email, normalise_phone
from tenants.selectors import merchant_current

PERSONAL_FIELDS = ("first_name", "last_name", "gender", "birth_date", "postcode", "email", "phone",
                   "custom_data", "language")


def birthday_key(day: datetime.date) -> str:
    return day.strftime("%m-%d")


def _indexes_refresh(cardholder: Cardholder) -> None:
    schema = connection.schema_name
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


@transaction.atomic
def cardholder_create(*, actor: Actor, **data) -> Cardholder:
    unknown = set(data) - set(PERSONAL_FIELDS)
    if unknown:
        raise TypeError(f"Unknown cardholder fields: {', '.join(sorted(unknown))}")
    cardholder = Cardholder(**data)
    _indexes_refresh(cardholder)
    cardholder.full_clean(exclude=["email_index", "phone_index", "birthday_index"])
    cardholder.save()
    audit_record(actor=actor, action="cardholder.create", target=cardholder)
    return cardholder


@transaction.atomic
def cardholder_update(*, cardholder: Cardholder, actor: Actor, **data) -> Cardholder:
    unknown = set(data) - set(PERSONAL_FIELDS)
    if unknown:
        raise TypeError(f"Unknown cardholder fields: {', '.join(sorted(unknown))}")
    for field, value in data.items():
        setattr(cardholder, field, value)
    _indexes_refresh(cardholder)
    cardholder.full_clean(exclude=["email_index", "phone_index", "birthday_index"])
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
