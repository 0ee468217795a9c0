"""Read-side queries of the cardholder pages: the list with its filters, and everything one
person's page shows. Filters run in SQL (Exists and Subquery over bookings, accounts and consents,
the hashed own field values), so that a page costs the same few queries at 50,000 cardholders;
only the rows of the page shown are decrypted."""
import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from loyalty.models import (
    Account,
    Booking,
    Card,
    Cardholder,
    Consent,
    CustomField,
    LedgerEntry,
    Lot,
    Program,
)
from loyalty.services.cardholders import field_value_key

Kind = Booking.Kind
# What the person came in (or bought online) for: the system's own bookings (expiry, bonuses,
# corrections, replacements, imported balances) are no visit.
VISIT_KINDS = (Kind.EARN, Kind.REDEEM_REWARD, Kind.TOP_UP, Kind.PAY, Kind.STAMP, Kind.REDEEM_STAMPS,
               Kind.VOUCHER_ISSUE, Kind.VOUCHER_REDEEM, Kind.RETURN)
# Only what the list shows is read (and decrypted).
LIST_FIELDS = ("pk", "first_name", "last_name", "email", "created_at")


def cardholders_all() -> QuerySet[Cardholder]:
    """The people on the list: everyone but the anonymised, newest first."""
    return Cardholder.objects.filter(anonymised_at__isnull=True).order_by("-pk")


def _visits():
    return Booking.objects.filter(card__cardholder=OuterRef("pk"), kind__in=VISIT_KINDS)


def _consent_now(purpose: str) -> Subquery:
    """The person's current choice for a purpose: the latest row's `granted` (NULL: never asked)."""
    return Subquery(Consent.objects.filter(cardholder=OuterRef("pk"), purpose=purpose)
                    .order_by("-id").values("granted")[:1])


def cardholders_filter(queryset: QuerySet[Cardholder], *, program: Program | None = None,
                       visited_within_days: int | None = None, not_visited_for_days: int | None = None,
                       consent_purpose: str = "", consent_granted: bool = True,
                       field: CustomField | None = None, field_value=None,
                       now: datetime.datetime | None = None) -> QuerySet[Cardholder]:
    """Narrow the cardholders by whatever is given: an account in the program; a visit within
    the last days, or none for that long (never included); the current consent for a purpose
    given, or not given (withdrawn or never asked); an own field holding a value (a value as
    CustomField.value_clean returns it)."""
    now = now or timezone.now()
    if program is not None:
        queryset = queryset.filter(Exists(Account.objects.filter(card__cardholder=OuterRef("pk"), program=program)))
    if visited_within_days is not None:
        since = now - datetime.timedelta(days=visited_within_days)
        queryset = queryset.filter(Exists(_visits().filter(created_at__gte=since)))
    if not_visited_for_days is not None:
        since = now - datetime.timedelta(days=not_visited_for_days)
        queryset = queryset.filter(~Exists(_visits().filter(created_at__gte=since)))
    if consent_purpose:
        queryset = queryset.alias(consent_now=_consent_now(consent_purpose))
        queryset = queryset.filter(Q(consent_now=True) if consent_granted else
                                   Q(consent_now=False) | Q(consent_now__isnull=True))
    if field is not None:
        queryset = queryset.filter(field_index__contains=[field_value_key(field.key, field_value)])
    return queryset


def cardholders_for_list(queryset: QuerySet[Cardholder]) -> QuerySet[Cardholder]:
    """The rows of the list: the fields shown, the person's cards (one query for the page) and
    their last visit (`last_visit`, computed for the rows of the page only)."""
    last_visit = Subquery(_visits().order_by("-created_at").values("created_at")[:1])
    return (queryset.only(*LIST_FIELDS).annotate(last_visit=last_visit)
            .prefetch_related(Prefetch("cards", Card.objects.only("pk", "number", "status", "cardholder_id")
                                       .order_by("status", "number"))))


# --- One person ----------------------------------------------------------------------------------


def cardholder_cards(cardholder: Cardholder) -> list[Card]:
    """The person's cards: active ones first, then blocked, replaced, by number."""
    order = {Card.Status.ACTIVE: 0, Card.Status.UNISSUED: 1, Card.Status.BLOCKED: 2, Card.Status.REPLACED: 3}
    cards = list(Card.objects.filter(cardholder=cardholder).select_related("replaced_by"))
    return sorted(cards, key=lambda card: (order.get(card.status, 9), card.number))


def cardholder_accounts(cardholder: Cardholder, *, today: datetime.date | None = None) -> list[Account]:
    """The person's accounts on cards that are not replaced (a replaced card's balances moved to
    its successor), each annotated with `expired`: what has expired but is not booked away yet."""
    today = today or timezone.localdate()
    expired = (Lot.objects.expired(on=today).filter(account=OuterRef("pk"))
               .values("account").annotate(total=Sum("remaining")).values("total"))
    return list(Account.objects.filter(card__cardholder=cardholder)
                .exclude(card__status=Card.Status.REPLACED)
                .select_related("program", "card")
                .annotate(expired=Coalesce(Subquery(expired), Value(0)))
                .order_by("program_id", "card__number"))


def cardholder_open_lots(cardholder: Cardholder) -> list[Lot]:
    """What is left of the person's credits, those expiring first at the top (never expiring last)."""
    return list(Lot.objects.filter(account__card__cardholder=cardholder, remaining__gt=0)
                .select_related("account__program", "account__card")
                .order_by("expires_on", "pk"))


def cardholder_bookings(cardholder: Cardholder) -> QuerySet[Booking]:
    """Every booking on any of the person's cards (replaced ones too), newest first, with what each
    changed and whether it was reversed."""
    return (Booking.objects.filter(card__cardholder=cardholder)
            .select_related("card", "program", "terminal", "staff_user")
            .annotate(reversed_=Exists(Booking.objects.filter(reverses=OuterRef("pk"))))
            .prefetch_related(Prefetch("entries", LedgerEntry.objects.select_related("account")))
            .order_by("-created_at", "-pk"))


def cardholder_consents(cardholder: Cardholder) -> list[Consent]:
    """Every consent the person gave or withdrew, newest first."""
    return list(cardholder.consents.select_related("actor_user", "actor_terminal").order_by("-id"))


def custom_fields_for(cardholder: Cardholder | None = None) -> list[CustomField]:
    """The own fields a page shows: the active ones, and deactivated ones the person has a value for."""
    values = (cardholder.custom_data or {}) if cardholder is not None else {}
    return [field for field in CustomField.objects.order_by("position", "pk")
            if field.is_active or values.get(field.key) not in (None, "")]
