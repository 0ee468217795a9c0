"""Bookings at the till, through the API and by the system: earn, redeem, top up, pay, stamp,
vouchers, returns, reversals, adjustments, bonuses and expiry."""
import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from loyalty.actors import Actor
from loyalty.errors import (
    AlreadyReversed, BookingNotFound, CardNotActive, CardNotFound,
    NotReturnable, NotReversible, PartialRedemptionNotAllowed, ProgramNotFound, ReasonRequired,
    ReturnExceedsSale, RewardNotFound, WrongProgram,
)
from loyalty.models import Booking, Card, LedgerEntry, Lot, Program, Reward
from loyalty.services.ledger import (
    Posting, account_available, accounts_lock, amount_check, booking_for_request,
    booking_post,
)

Kind = Booking.Kind


def card_for_booking(card_number: str) -> Card:
    card = Card.objects.filter(number=str(card_number).strip()).first()
    if card is None:
        raise CardNotFound()
    if card.status != Card.Status.ACTIVE:
        raise CardNotActive(status=card.get_status_display())
    return card


def program_for_booking(program: Program | int, kind: str) -> Program:
    if not isinstance(program, Program):
        program = Program.objects.filter(pk=program).first()
        if program is None:
            raise ProgramNotFound()
    if not program.is_active or not program.behaviour.allows(kind):
        raise WrongProgram(program=program.name)
    return program


def _credit(*, kind: str, card: Card, program: Program, amount: int, idempotency_key: str,
            actor: Actor, params: dict, **fields) -> Booking:
    """A credit on one account: the program checks its limits against the locked balance."""

    def plan():
        account = accounts_lock(card, [program])[program.pk]
        program.behaviour.check_credit(balance=account.balance, amount=amount)
        expires_on = program.behaviour.credit_expires_on(timezone.localdate())
        return [Posting(account, amount, expires_on=expires_on)]

    return booking_post(kind=kind, card=card, program=program, idempotency_key=idempotency_key,
                        params=params, actor=actor, plan=plan, **fields)


def _debit(*, kind: str, card: Card, program: Program, amount: int, idempotency_key: str,
           actor: Actor, params: dict, **fields) -> Booking:
    def plan():
        account = accounts_lock(card, [program])[program.pk]
        return [Posting(account, -amount)]

    return booking_post(kind=kind, card=card, program=program, idempotency_key=idempotency_key,
                        params=params, actor=actor, plan=plan, **fields)


@transaction.atomic
def booking_earn(*, card_number: str, program: Program | int, purchase_amount_cents: int,
                 idempotency_key: str, actor: Actor, receipt_number: str = "") -> Booking:
    """Points for a purchase. A purchase too small for a point is still booked, with no entry."""
    card = card_for_booking(card_number)
    program = program_for_booking(program, Kind.EARN)
    amount_check(purchase_amount_cents)
    points = program.behaviour.points_for_purchase(purchase_amount_cents, on=timezone.localdate())
    params = {"card": card.number, "program": program.pk, "purchase": purchase_amount_cents,
              "receipt": receipt_number}

    def plan():
        account = accounts_lock(card, [program])[program.pk]
        expires_on = program.behaviour.credit_expires_on(timezone.localdate())
        return [Posting(account, points, expires_on=expires_on)]

    return booking_post(kind=Kind.EARN, card=card, program=program, idempotency_key=idempotency_key,
                        params=params, actor=actor, plan=plan,
                        purchase_amount_cents=purchase_amount_cents, receipt_number=receipt_number)


@transaction.atomic
def booking_redeem_reward(*, card_number: str, reward: Reward | int, idempotency_key: str,
                          actor: Actor) -> Booking:
    card = card_for_booking(card_number)
    if not isinstance(reward, Reward):
        reward = Reward.objects.select_related("program").filter(pk=reward, is_active=True).first()
        if reward is None:
            raise RewardNotFound()
    program = program_for_booking(reward.program, Kind.REDEEM_REWARD)
    return _debit(kind=Kind.REDEEM_REWARD, card=card, program=program, amount=reward.points,
                  idempotency_key=idempotency_key, actor=actor, reward=reward,
                  params={"card": card.number, "reward": reward.pk})


@transaction.atomic
def booking_top_up(*, card_number: str, program: Program | int, amount_cents: int,
                   idempotency_key: str, actor: Actor, receipt_number: str = "") -> Booking:
    card = card_for_booking(card_number)
    program = program_for_booking(program, Kind.TOP_UP)
    amount_check(amount_cents)
    return _credit(kind=Kind.TOP_UP, card=card, program=program, amount=amount_cents,
                   idempotency_key=idempotency_key, actor=actor, receipt_number=receipt_number,
                   params={"card": card.number, "program": program.pk, "amount": amount_cents,
                           "receipt": receipt_number})


@transaction.atomic
def booking_pay(*, card_number: str, program: Program | int, amount_cents: int,
                idempotency_key: str, actor: Actor, receipt_number: str = "") -> Booking:
    """Pay (part of) a purchase with prepaid money; the purchase can later be returned."""
    card = card_for_booking(card_number)
    program = program_for_booking(program, Kind.PAY)
    amount_check(amount_cents)
    return _debit(kind=Kind.PAY, card=card, program=program, amount=amount_cents,
                  idempotency_key=idempotency_key, actor=actor, receipt_number=receipt_number,
                  purchase_amount_cents=amount_cents,
                  params={"card": card.number, "program": program.pk, "amount": amount_cents,
                          "receipt": receipt_number})


@transaction.atomic
def booking_stamp(*, card_number: str, program: Program | int, idempotency_key: str,
                  actor: Actor, stamps: int = 1, receipt_number: str = "") -> Booking:
    card = card_for_booking(card_number)
    program = program_for_booking(program, Kind.STAMP)
    amount_check(stamps, maximum=100)
    return _credit(kind=Kind.STAMP, card=card, program=program, amount=stamps,
                   idempotency_key=idempotency_key, actor=actor, receipt_number=receipt_number,
                   params={"card": card.number, "program": program.pk, "stamps": stamps,
                           "receipt": receipt_number})


@transaction.atomic
def booking_redeem_stamps(*, card_number: str, program: Program | int, idempotency_key: str,
                          actor: Actor) -> Booking:
    """A full stamp card for its reward; the stamps beyond a full card stay."""
    card = card_for_booking(card_number)
    program = program_for_booking(program, Kind.REDEEM_STAMPS)
    return _debit(kind=Kind.REDEEM_STAMPS, card=card, program=program,
                  amount=program.stamps_per_reward, idempotency_key=idempotency_key, actor=actor,
                  params={"card": card.number, "program": program.pk})


@transaction.atomic
def booking_voucher_issue(*, card_number: str, program: Program | int, idempotency_key: str,
                          actor: Actor, amount_cents: int | None = None,
                          receipt_number: str = "") -> Booking:
    """Load a voucher's value onto a card; it is valid as the program or the country's law says."""
    card = card_for_booking(card_number)
    program = program_for_booking(program, Kind.VOUCHER_ISSUE)
    amount = amount_check(amount_cents if amount_cents is not None else program.voucher_value_cents)
    return _credit(kind=Kind.VOUCHER_ISSUE, card=card, program=program, amount=amount,
                   idempotency_key=idempotency_key, actor=actor, receipt_number=receipt_number,
                   params={"card": card.number, "program": program.pk, "amount": amount,
                           "receipt": receipt_number})


@transaction.atomic
def booking_voucher_redeem(*, card_number: str, program: Program | int, amount_cents: int,
                           idempotency_key: str, actor: Actor, receipt_number: str = "") -> Booking:
    card = card_for_booking(card_number)
    program = program_for_booking(program, Kind.VOUCHER_REDEEM)
    amount_check(amount_cents)
    params = {"card": card.number, "program": program.pk, "amount": amount_cents,
              "receipt": receipt_number}

    def plan():
        account = accounts_lock(card, [program])[program.pk]
        available = account_available(account, today=timezone.localdate())
        if not program.partial_redemption and amount_cents != available:
            raise PartialRedemptionNotAllowed(balance=available)
        return [Posting(account, -amount_cents)]

    return booking_post(kind=Kind.VOUCHER_REDEEM, card=card, program=program,
                        idempotency_key=idempotency_key, params=params, actor=actor, plan=plan,
                        receipt_number=receipt_number)


@transaction.atomic
def booking_adjust(*, card_number: str, program: Program | int, amount: int, reason: str,
                   idempotency_key: str, actor: Actor) -> Booking:
    """A manual correction, up or down, always with a reason."""
    card = Card.objects.filter(number=card_number).first()
    if card is None:
        raise CardNotFound()
    if not isinstance(program, Program):
        program = Program.objects.filter(pk=program).first()
        if program is None:
            raise ProgramNotFound()
    if not reason.strip():
        raise ReasonRequired()
    if isinstance(amount, bool) or not isinstance(amount, int):
        amount_check(amount)  # refuses it with the usual message
    amount_check(abs(amount))
    params = {"card": card.number, "program": program.pk, "amount": amount, "reason": reason}
    adjust = _credit if amount > 0 else _debit
    return adjust(kind=Kind.ADJUSTMENT, card=card, program=program, amount=abs(amount),
                  idempotency_key=idempotency_key, actor=actor, params=params, reason=reason.strip())


@transaction.atomic
def booking_bonus(*, card_number: str, program: Program | int, points: int, reason: str,
                  idempotency_key: str, actor: Actor) -> Booking:
    """Bonus points (birthday, sign-up, goodwill); they expire like earned points."""
    card = card_for_booking(card_number)
    program = program_for_booking(program, Kind.BONUS)
    amount_check(points)
    return _credit(kind=Kind.BONUS, card=card, program=program, amount=points,
                   idempotency_key=idempotency_key, actor=actor, reason=reason,
                   params={"card": card.number, "program": program.pk, "points": points,
                           "reason": reason})


def _booking_lock(booking_id: int) -> Booking:
    booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
    if booking is None:
        raise BookingNotFound()
    return booking


@transaction.atomic
def booking_return(*, sale_id: int, return_amount_cents: int, idempotency_key: str,
                   actor: Actor, receipt_number: str = "") -> Booking:
    """Take back (part of) a sale: what it earned is taken back and what paid for it is given
    back, in proportion to the returned amount. All returns of a sale together never exceed it."""
    sale = _booking_lock(sale_id)  # returns of one sale queue up behind each other
    if sale.kind not in (Kind.EARN, Kind.PAY) or not sale.purchase_amount_cents:
        raise NotReturnable()
    if hasattr(sale, "reversal"):
        raise AlreadyReversed()
    amount_check(return_amount_cents)
    params = {"sale": sale.pk, "amount": return_amount_cents, "receipt": receipt_number}
    if (repeat := booking_for_request(kind=Kind.RETURN, idempotency_key=idempotency_key,
                                      params=params)) is not None:
        return repeat
    returned = sale.returns.aggregate(total=Sum("purchase_amount_cents"))["total"] or 0
    left = sale.purchase_amount_cents - returned
    if return_amount_cents > left:
        raise ReturnExceedsSale(left=left)
    taken_back = _returned_per_account(sale)

    def plan():
        sale_entries = list(sale.entries.select_related("account__program"))
        accounts = accounts_lock(sale.card, [entry.account.program for entry in sale_entries])
        postings = []
        for entry in sale_entries:
            account = accounts[entry.account.program_id]
            # Proportional to all returns so far, so that rounding never drifts over several returns.
            due = abs(entry.amount) * (returned + return_amount_cents) // sale.purchase_amount_cents
            change = due - taken_back.get(account.pk, 0)
            if entry.amount > 0:  # the sale earned: take back, but never below zero
                change = min(change, account_available(account, today=timezone.localdate()))
                postings.append(Posting(account, -change))
            else:  # the sale was paid from this account: give back
                postings.append(Posting(account, change))
        return postings

    return booking_post(kind=Kind.RETURN, card=sale.card, program=sale.program,
                        idempotency_key=idempotency_key, params=params, actor=actor, plan=plan,
                        returned_sale=sale, purchase_amount_cents=return_amount_cents,
                        receipt_number=receipt_number)


def _returned_per_account(sale: Booking) -> dict[int, int]:
    rows = (LedgerEntry.objects.filter(booking__returned_sale=sale)
            .values("account_id").annotate(total=Sum("amount")))
    return {row["account_id"]: abs(row["total"]) for row in rows}


_NOT_REVERSIBLE = {Kind.REVERSAL, Kind.EXPIRY, Kind.CARD_REPLACEMENT, Kind.RETURN}


@transaction.atomic
def booking_reverse(*, booking_id: int, idempotency_key: str, actor: Actor, reason: str = "") -> Booking:
    """Undo a booking with a new one that books every entry back. Once per booking."""
    original = _booking_lock(booking_id)  # a second reversal waits here, then finds the first
    params = {"reverses": original.pk}
    # The same request again (e.g. a retry after a lost answer) gets the first answer.
    if (repeat := booking_for_request(kind=Kind.REVERSAL, idempotency_key=idempotency_key,
                                      params=params)) is not None:
        return repeat
    if hasattr(original, "reversal"):
        raise AlreadyReversed()
    if original.kind in _NOT_REVERSIBLE:
        raise NotReversible(why=original.get_kind_display())
    if original.returns.exists():
        raise NotReversible(why=Kind.RETURN.label)

    def plan():
        entries = list(original.entries.select_related("account__program", "lot"))
        accounts = accounts_lock(original.card, [entry.account.program for entry in entries])
        booked_on = timezone.localtime(original.created_at).date()
        postings = []
        for entry in entries:
            account = accounts[entry.account.program_id]
            if entry.amount > 0:
                postings.append(Posting(account, -entry.amount, from_lot=entry.lot))
            else:
                expires_on = account.program.behaviour.credit_expires_on(booked_on)
                postings.append(Posting(account, -entry.amount, expires_on=expires_on))
        return postings

    return booking_post(kind=Kind.REVERSAL, card=original.card, program=original.program,
                        idempotency_key=idempotency_key, params=params, actor=actor, plan=plan,
                        reverses=original, reason=reason)


def lots_expire(*, today: datetime.date, actor: Actor) -> int:
    """Book away what is left of every lot that expired before `today`, one booking per lot.
    Idempotent: a lot expires once, whoever runs this and however often."""
    expired = 0
    lot_ids = list(Lot.objects.filter(remaining__gt=0, expires_on__lt=today).values_list("pk", flat=True))
    for lot_id in lot_ids:
        with transaction.atomic():
            lot = Lot.objects.select_related("account__card", "account__program").get(pk=lot_id)
            card, program = lot.account.card, lot.account.program
            # Account before lot, the order every debit takes its locks in.
            account = accounts_lock(card, [program])[program.pk]
            lot = Lot.objects.select_for_update().get(pk=lot_id)
            if not lot.remaining:
                continue
            booking_post(kind=Kind.EXPIRY, card=card, program=program,
                         idempotency_key=f"expiry:{lot.pk}", params={"lot": lot.pk}, actor=actor,
                         plan=lambda: [Posting(account, -lot.remaining, from_lot=lot)])
            expired += 1
    return expired

