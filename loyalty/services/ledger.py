"""The one way balances change: claim the request's idempotency key, lock the accounts, then
write each change as an entry (and a lot for credits), all in the caller's transaction."""
import datetime
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from loyalty.actors import Actor
from loyalty.errors import IdempotencyKeyReused, InsufficientBalance, InvalidAmount, ServiceEnded
from loyalty.models import Account, Booking, Card, LedgerEntry, Lot, Program
from loyalty.services.audit import audit_record
from tenants.selectors import merchant_current

# A larger amount in one booking is a typing error, not a purchase: 100,000 € or 10 million points.
MAX_AMOUNT = 10_000_000


@dataclass
class Posting:
    """A change to one locked account: a credit (amount > 0) or a debit (amount < 0)."""

    account: Account
    amount: int
    expires_on: datetime.date | None = None  # credit: when the new lot expires
    from_lot: Lot | None = None  # debit: take from this lot first, even if it has expired


def amount_check(amount, *, maximum: int = MAX_AMOUNT) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= maximum:
        raise InvalidAmount(maximum=maximum)
    return amount


def request_fingerprint(kind: str, params: dict) -> str:
    canonical = json.dumps({"kind": kind, **params}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def booking_for_request(*, kind: str, idempotency_key: str, params: dict) -> Booking | None:
    """The booking an earlier request with this key made, if any; a different request under the
    same key is refused."""
    return _booking_for_key(idempotency_key, request_fingerprint(kind, params))


def _booking_for_key(idempotency_key: str, fingerprint: str) -> Booking | None:
    booking = Booking.objects.filter(idempotency_key=idempotency_key).first()
    if booking is not None and booking.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return booking


def accounts_lock(card: Card, programs: Iterable[Program]) -> dict[int, Account]:
    """The card's accounts in these programs, created when missing, locked in primary-key order
    so that two bookings never wait on each other's locks in a circle."""
    program_ids = sorted({program.pk for program in programs})
    locked = Account.objects.select_for_update().filter(card=card, program_id__in=program_ids).order_by("pk")
    accounts = {account.program_id: account for account in locked}
    if len(accounts) < len(program_ids):
        for program_id in set(program_ids) - set(accounts):
            Account.objects.get_or_create(card=card, program_id=program_id)
        accounts = {account.program_id: account for account in locked.all()}
    return accounts


def account_available(account: Account, *, today: datetime.date) -> int:
    """What can be spent: the balance less lots that have expired but are not booked away yet."""
    expired = (
        Lot.objects.filter(account=account, remaining__gt=0, expires_on__lt=today)
        .aggregate(total=Sum("remaining"))["total"]
    )
    return account.balance - (expired or 0)


def _lots_consume(posting: Posting, *, today: datetime.date) -> None:
    wanted = -posting.amount
    open_lots = list(
        Lot.objects.select_for_update()
        .filter(account=posting.account, remaining__gt=0)
        .order_by(F("expires_on").asc(nulls_last=True), "pk")
    )
    if posting.from_lot is not None:
        open_lots.sort(key=lambda lot: lot.pk != posting.from_lot.pk)
    usable = [
        lot for lot in open_lots
        if lot.expires_on is None or lot.expires_on >= today
        or (posting.from_lot is not None and lot.pk == posting.from_lot.pk)
    ]
    available = sum(lot.remaining for lot in usable)
    if available < wanted:
        raise InsufficientBalance(available=available, requested=wanted)
    for lot in usable:
        taken = min(lot.remaining, wanted)
        Lot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - taken)
        wanted -= taken
        if not wanted:
            break


def _postings_apply(booking: Booking, postings: list[Posting]) -> None:
    today = timezone.localdate()
    entries = []
    for posting in postings:
        if posting.amount == 0:
            continue
        account = posting.account
        if posting.amount > 0:
            lot = Lot.objects.create(
                account=account, amount=posting.amount, remaining=posting.amount,
                expires_on=posting.expires_on,
            )
        else:
            _lots_consume(posting, today=today)
            lot = posting.from_lot
        Account.objects.filter(pk=account.pk).update(balance=F("balance") + posting.amount)
        account.balance += posting.amount
        entries.append(LedgerEntry(
            booking=booking, account=account, amount=posting.amount,
            balance_after=account.balance, lot=lot,
        ))
    LedgerEntry.objects.bulk_create(entries)


def booking_post(
    *,
    kind: str,
    card: Card,
    idempotency_key: str,
    params: dict,
    actor: Actor,
    plan: Callable[[], list[Posting]],
    **fields,
) -> Booking:
    """Book once per idempotency key. `plan` locks the accounts it needs (accounts_lock) and
    returns the postings; any LoyaltyError it raises rolls everything back.

    Runs inside the caller's transaction.atomic. A repeated key returns the first booking."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("booking_post must run inside transaction.atomic")
    if merchant_current().service_ended:
        raise ServiceEnded()
    fingerprint = request_fingerprint(kind, params)
    try:
        # Inserting the key first makes a repeated request fail here and answer with the first
        # booking; one running concurrently waits here until the first commits (then it finds
        # that booking) or rolls back (then it books itself).
        with transaction.atomic():
            booking = Booking.objects.create(
                kind=kind, idempotency_key=idempotency_key, request_fingerprint=fingerprint,
                card=card, terminal=actor.terminal, staff_user=actor.user, **fields,
            )
    except IntegrityError:
        if (booking := _booking_for_key(idempotency_key, fingerprint)) is None:
            raise
        return booking
    postings = plan()
    _postings_apply(booking, postings)
    audit_record(
        actor=actor, action=f"booking.{kind}", target=booking, card=card.number,
        changes=[[posting.account.program_id, posting.amount] for posting in postings if posting.amount],
    )
    return booking
