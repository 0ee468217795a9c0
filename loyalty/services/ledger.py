"""The one way balances change.

A booking service (loyalty.services.bookings) runs in one transaction (`booking_service`) and

1. looks up the booking an earlier request with the same Idempotency-Key made, in the same query
   as the card (`card_for_booking`): a repeat gets the first booking before any other check;
2. checks the request: the card's state, the program, the amounts;
3. writes the booking row, which claims the key (`booking_post`), then posts its changes to the
   card's accounts: an entry each, a lot per credit, lots used up by debits, open claims; and
   marks the wallet passes of the cards it changed, whose phones are pushed once it commits.

Locks are taken in one order: a booking being returned or reversed, then the card, then its
accounts (by program), then their lots. Every write to a card's accounts holds the card's row
first, so a card replacement (which locks both cards) and the bookings on that card queue up
behind each other instead of deadlocking, and nothing lands on a card once it is replaced."""
import datetime
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property, wraps

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from loyalty.actors import SYSTEM_SCOPE, Actor
from loyalty.cardnumbers import card_number_is_valid
from loyalty.catalog import catalog
from loyalty.errors import (
    AmountNotPositive,
    AmountTooLarge,
    CardNotFound,
    ConfirmationRequired,
    IdempotencyKeyReused,
    InvalidAmount,
    ServiceEnded,
)
from loyalty.models import Account, Booking, Card, LedgerEntry, Lot, Program
from loyalty.models.ledger import IDEMPOTENCY_KEY_CONSTRAINT
from loyalty.programs.base import AccountState
from loyalty.services.lookup import (
    NUMBER_MISTYPED,
    card_lookups_check,
    card_number_clean,
    card_unknown_refuse,
)
from loyalty.units import money_text
from loyalty.wallet.services import wallet_passes_changed
from tenants.selectors import merchant_current

# A larger amount in one booking is a typing error, not a purchase: 100.000,00 € or 10 million points.
MAX_AMOUNT = 10_000_000


# --- The request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemKey:
    """An idempotency key of the system's own (an expiry, a bonus): it lives in a namespace no
    client can send a key into, whoever's action led to the booking."""

    key: str


@dataclass(frozen=True)
class BookingRequest:
    """What was asked for, under which key: the same key with the same parameters is a repeat."""

    kind: str
    idempotency_key: str | SystemKey
    actor: Actor
    params: dict

    @property
    def scope(self) -> str:
        if isinstance(self.idempotency_key, SystemKey):
            return SYSTEM_SCOPE
        return self.actor.idempotency_scope

    @property
    def key(self) -> str:
        if isinstance(self.idempotency_key, SystemKey):
            return self.idempotency_key.key
        return self.idempotency_key

    @cached_property
    def fingerprint(self) -> str:
        canonical = json.dumps({"kind": self.kind, **self.params}, sort_keys=True, default=str,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def earlier_bookings(self) -> QuerySet[Booking]:
        return Booking.objects.filter(idempotency_scope=self.scope, idempotency_key=self.key)


def booking_repeat(request: BookingRequest) -> Booking | None:
    """The booking an earlier request with this key made, if any; another request under the same
    key is refused."""
    booking = request.earlier_bookings().select_related("card").first()
    if booking is not None and booking.request_fingerprint != request.fingerprint:
        raise IdempotencyKeyReused()
    return booking


def booking_service(service):
    """Run a booking service in a transaction of its own. Of two requests with one key at the
    same time, the second waits on the key's unique index until the first commits, then fails;
    it is run once more and finds the first one's booking, which it answers with."""
    atomic_service = transaction.atomic(service)

    @wraps(service)
    def run(*args, **kwargs):
        try:
            return atomic_service(*args, **kwargs)
        except IntegrityError as error:
            diagnosis = getattr(error.__cause__, "diag", None)
            if getattr(diagnosis, "constraint_name", None) != IDEMPOTENCY_KEY_CONSTRAINT:
                raise
        return atomic_service(*args, **kwargs)

    return run


# The card, locked against a replacement, and the booking an earlier request with the same key
# made, if any: one statement on every booking.
_CARD_SQL = """
SELECT card.*, (SELECT booking.id FROM {booking} booking
                WHERE booking.idempotency_scope = %s AND booking.idempotency_key = %s) AS earlier_booking
FROM {card} card WHERE card.number = %s
FOR NO KEY UPDATE OF card
"""


def card_for_booking(card_number, request: BookingRequest) -> tuple[Card | None, Booking | None]:
    """The card to book on, locked, or the earlier booking of a repeated request (then the card
    is not checked). One query for both; refusals: a mistyped or unknown number (counted like a
    look-up at the till), paused look-ups, a card that cannot be booked on."""
    number = card_number_clean(card_number)
    card = None
    if card_number_is_valid(number):
        found = Card.objects.raw(_CARD_SQL.format(card=Card._meta.db_table, booking=Booking._meta.db_table),
                                 [request.scope, request.key, number])
        card = next(iter(found), None)
    if ((card is None or card.earlier_booking is not None)
            and (repeat := booking_repeat(request)) is not None):
        return card, repeat
    card_lookups_check(request.actor)
    if card is None:
        if not card_number_is_valid(number):
            raise CardNotFound(NUMBER_MISTYPED)
        card_unknown_refuse(request.actor)
    card.check_bookable()
    return card, None


def service_refusal() -> ServiceEnded | None:
    """ServiceEnded once the merchant's contract has ended (nothing is booked or handed out any
    more; the owner may still export), else None."""
    return ServiceEnded() if merchant_current().service_ended else None


def card_lock_current(card_id: int) -> Card:
    """The card itself or, if it was replaced, its successor, locked: credits for a replaced
    card's sales go to the card that holds its balances now."""
    while True:
        card = Card.objects.select_for_update(no_key=True).get(pk=card_id)
        if card.replaced_by_id is None:
            return card
        card_id = card.replaced_by_id


def amount_check(amount, *, text=money_text, maximum: int = MAX_AMOUNT) -> int:
    """A whole amount from 1 to `maximum`; `text` writes the maximum in the amount's unit."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount()
    if amount < 1:
        raise AmountNotPositive()
    if amount > maximum:
        raise AmountTooLarge(maximum=text(maximum))
    return amount


def money_amount_check(amount, *, confirmed: bool) -> int:
    """An amount in euros (a purchase, a top-up, a voucher, a return) within the owner's limits:
    never above the hard maximum; above the plausibility limit only when the cashier has
    confirmed it, because 999 typed for 9,99 is the usual slip at a till."""
    limits = catalog().settings
    amount = amount_check(amount, maximum=min(limits.hard_maximum_cents, MAX_AMOUNT))
    if amount > limits.plausibility_limit_cents and not confirmed:
        raise ConfirmationRequired(amount=money_text(amount))
    return amount


# --- Postings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    """One change to one account of a card: a credit (amount > 0) or a debit (amount < 0)."""

    card: Card
    program: Program
    amount: int
    expires_on: datetime.date | None = None  # credit: when its lot expires
    capped: bool = False  # credit: the program's limits apply (a top-up)
    # Debit: a return or reversal taking back what a booking gave. What is no longer there stays
    # as an open claim, or is refused, as the program's kind says.
    take_back: bool = False
    # Debit: exactly this lot, even if it has expired (an expiry, a card replacement).
    from_lot: Lot | None = None
    # A claim moved onto (+) or off (−) the account as it is (a card replacement).
    claim: int = 0


def booking_post(request: BookingRequest, *, card: Card, postings: list[Posting],
                 program: Program | None = None, **fields) -> Booking:
    """Write the booking (claiming the request's key) and its postings. Any refusal raised here
    rolls the whole booking back. Returns the booking with its entries, as written."""
    if refusal := service_refusal():
        raise refusal
    actor = request.actor
    booking = Booking.objects.create(
        kind=request.kind, idempotency_scope=request.scope, idempotency_key=request.key,
        request_fingerprint=request.fingerprint, card=card, program=program,
        terminal=actor.terminal, staff_user=actor.user, actor_label=actor.label, **fields,
    )
    entries = _postings_apply(booking, [p for p in postings if p.amount or p.claim])
    _entries_known(booking, entries)
    if entries:  # the phones holding a pass of a card whose balance changed fetch it anew
        wallet_passes_changed(card_ids={entry.account.card_id for entry in entries})
    return booking


def _entries_known(booking: Booking, entries: list[LedgerEntry]) -> None:
    """Let booking.entries.all() answer with the entries just written, as a prefetch would."""
    queryset = booking.entries.all()
    queryset._result_cache = entries
    queryset._prefetch_done = True
    booking._prefetched_objects_cache = {"entries": queryset}


def _postings_apply(booking: Booking, postings: list[Posting]) -> list[LedgerEntry]:
    if not postings:
        return []  # e.g. a purchase too small for a point
    today = timezone.localdate()
    if len(postings) == 1 and (entry := _credit_at_once(booking, postings[0])) is not None:
        return [entry]
    accounts = accounts_lock([(posting.card, posting.program) for posting in postings])
    entries = []
    for posting in postings:
        entry = _posting_apply(booking, accounts[posting.card.pk, posting.program.pk], posting, today)
        if entry is not None:
            entries.append(entry)
    for account in {entry.account.pk: entry.account for entry in entries}.values():
        Account.objects.filter(pk=account.pk).update(balance=account.balance, claim=account.claim)
    return LedgerEntry.objects.bulk_create(entries)


# A plain credit in one statement: the account (made on its first credit), the lot and the entry.
# An account with an open claim is left alone (locked, though) and returns no row: then the claim
# is paid off first, by the general path.
_CREDIT_SQL = """
WITH account AS (
    INSERT INTO {account} AS a (card_id, program_id, balance, claim, created_at)
    VALUES (%(card)s, %(program)s, %(amount)s, 0, %(now)s)
    ON CONFLICT (card_id, program_id) DO UPDATE SET balance = a.balance + EXCLUDED.balance
        WHERE a.claim = 0
    RETURNING a.id, a.balance
), lot AS (
    INSERT INTO {lot} (account_id, amount, remaining, expires_on, created_at)
    SELECT id, %(amount)s, %(amount)s, %(expires_on)s::date, %(now)s FROM account
    RETURNING id
)
INSERT INTO {entry} (booking_id, account_id, amount, claim_change, balance_after, lot_id, created_at)
SELECT %(booking)s, account.id, %(amount)s, 0, account.balance, lot.id, %(now)s FROM account, lot
RETURNING id, account_id, balance_after, lot_id
"""


def _credit_at_once(booking: Booking, posting: Posting) -> LedgerEntry | None:
    if posting.amount <= 0 or posting.claim or posting.from_lot is not None:
        return None
    now = timezone.now()
    sql = _CREDIT_SQL.format(account=Account._meta.db_table, lot=Lot._meta.db_table,
                             entry=LedgerEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"card": posting.card.pk, "program": posting.program.pk,
                             "amount": posting.amount, "expires_on": posting.expires_on, "now": now,
                             "booking": booking.pk})
        row = cursor.fetchone()
    if row is None:
        return None
    entry_id, account_id, balance_after, lot_id = row
    if posting.capped and (refusal := posting.program.behaviour.credit_refusal(
            balance=balance_after - posting.amount, amount=posting.amount)):
        raise refusal  # rolls the credit back with the booking
    account = Account(pk=account_id, card=posting.card, program=posting.program,
                      balance=balance_after, claim=0)
    return LedgerEntry(pk=entry_id, booking=booking, account=account, amount=posting.amount,
                       claim_change=0, balance_after=balance_after, lot_id=lot_id, created_at=now)


def accounts_lock(pairs: list[tuple[Card, Program]]) -> dict[tuple[int, int], Account]:
    """The accounts of these (card, program) pairs, made when missing, locked in (card, program)
    order so that two bookings never wait on each other's locks in a circle."""
    if not pairs:
        return {}
    programs = {program.pk: program for _card, program in pairs}
    cards = {card.pk: card for card, _program in pairs}
    wanted = sorted({(card.pk, program.pk) for card, program in pairs})
    which = Q()
    for card_id, program_id in wanted:
        which |= Q(card_id=card_id, program_id=program_id)
    locked = Account.objects.select_for_update().filter(which).order_by("card_id", "program_id")
    accounts = {(account.card_id, account.program_id): account for account in locked}
    if len(accounts) < len(wanted):
        Account.objects.bulk_create(
            [Account(card_id=card_id, program_id=program_id)
             for card_id, program_id in wanted if (card_id, program_id) not in accounts],
            ignore_conflicts=True,
        )
        accounts = {(account.card_id, account.program_id): account for account in locked.all()}
    for (card_id, program_id), account in accounts.items():
        account.card, account.program = cards[card_id], programs[program_id]
    return accounts


def _usable_lots(account: Account, *, today: datetime.date, from_lot: Lot | None) -> list[Lot]:
    """The account's open lots in the order debits use them, locked: those that expire first,
    first; lots that have expired only when named (they are booked away by their expiry)."""
    lots = (Lot.objects.select_for_update().filter(account=account, remaining__gt=0)
            .order_by(F("expires_on").asc(nulls_last=True), "pk"))
    if from_lot is not None:
        return [lot for lot in lots if lot.pk == from_lot.pk]
    return [lot for lot in lots if not lot.has_expired(on=today)]


def _posting_apply(booking: Booking, account: Account, posting: Posting,
                   today: datetime.date) -> LedgerEntry | None:
    """Change the locked account (in memory; the caller writes it) and return the entry."""
    behaviour = posting.program.behaviour
    lot = None
    if posting.amount > 0:
        if posting.capped and (refusal := behaviour.credit_refusal(balance=account.balance,
                                                                   amount=posting.amount)):
            raise refusal
        # An open claim is paid off first; the rest lands on the balance, in a lot of its own.
        paid = min(account.claim, posting.amount)
        change, claim_change = posting.amount - paid, -paid
        if change:
            lot = Lot.objects.create(account=account, amount=change, remaining=change,
                                     expires_on=posting.expires_on)
    elif posting.amount < 0:
        wanted = -posting.amount
        lots = _usable_lots(account, today=today, from_lot=posting.from_lot)
        state = AccountState(balance=account.balance, available=sum(lot.remaining for lot in lots),
                             claim=account.claim)
        if posting.from_lot is not None:  # a system move: what the lot holds, no rules
            wanted = taken = min(wanted, state.available)
            lot = posting.from_lot
        elif posting.take_back:
            if refusal := behaviour.take_back_refusal(account=state, amount=wanted):
                raise refusal
            taken = min(wanted, state.available)
        else:
            if refusal := behaviour.debit_refusal(booking.kind, account=state, amount=wanted):
                raise refusal
            taken = wanted
        _lots_take(lots, taken)
        change, claim_change = -taken, wanted - taken
    else:
        change, claim_change = 0, posting.claim
    if not change and not claim_change:
        return None
    account.balance += change
    account.claim += claim_change
    return LedgerEntry(booking=booking, account=account, amount=change, claim_change=claim_change,
                       balance_after=account.balance, lot=lot)


def _lots_take(lots: list[Lot], amount: int) -> None:
    for lot in lots:
        if not amount:
            break
        taken = min(lot.remaining, amount)
        Lot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - taken)
        amount -= taken
