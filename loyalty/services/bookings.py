"""Bookings at the till, through the API and by the system: earn, redeem, top up, pay, stamp,
vouchers, returns, reversals, adjustments, bonuses and expiry.

Each service's keyword arguments are the fields of its input (loyalty.operations). The steps every
service shares, and the order of their locks, are in loyalty.services.ledger."""
import datetime

from django.db.models import Prefetch, Sum
from django.utils import timezone

from loyalty.actors import Actor
from loyalty.catalog import catalog
from loyalty.errors import (
    AlreadyReversed,
    BookingNotFound,
    LoyaltyError,
    NotPermitted,
    NotReturnable,
    NotReversible,
    ProgramNotFound,
    ReasonRequired,
    ReturnExceedsSale,
    ReversalNeedsPerson,
    ReversalNotYours,
    RewardNotFound,
    WrongProgram,
)
from loyalty.models import Booking, Card, LedgerEntry, Lot, Program
from loyalty.programs.base import AccountState
from loyalty.services.audit import audit_record
from loyalty.services.ledger import (
    BookingRequest,
    Posting,
    SystemKey,
    accounts_lock,
    amount_check,
    booking_post,
    booking_repeat,
    booking_service,
    card_for_booking,
    card_lock_current,
    money_amount_check,
)
from loyalty.services.lookup import card_number_clean
from loyalty.units import money_text, stamps_text

Kind = Booking.Kind
MAX_STAMPS = 100  # per booking
# Whoever holds it reverses any booking; everyone else only their own, within the owner's window.
REVERSE_ANY_PERMISSION = "loyalty.reverse_booking"
# A correction of a balance by hand needs a person with this permission, never a device alone.
ADJUST_PERMISSION = "loyalty.change_account"
# Issuing a voucher is a booking like a sale: a person needs the till's permission; a till or
# cash register may book it on its own.
VOUCHER_ISSUE_PERMISSION = "loyalty.add_booking"


def program_get(program: Program | int) -> Program:
    """The program from the merchant's catalog (loyalty.catalog), whatever was passed."""
    program_id = program.pk if isinstance(program, Program) else program
    found = catalog().program(program_id) or catalog(fresh=True).program(program_id)
    if found is None:
        raise ProgramNotFound()
    return found


def program_for_booking(program: Program | int, kind: str) -> Program:
    program = program_get(program)
    if not program.is_active or not program.behaviour.allows(kind):
        raise WrongProgram(program=program.name)
    return program


def _id(program: Program | int) -> int:
    return program.pk if isinstance(program, Program) else program


def _card_request(kind: str, card_number, idempotency_key, actor: Actor, **params):
    """The request, and the locked card to book on, or the earlier booking of a repeat."""
    request = BookingRequest(kind, idempotency_key, actor, {"card": card_number_clean(card_number), **params})
    card, repeat = card_for_booking(card_number, request)
    return request, card, repeat


def _points_also_earned(card: Card, kind: str, purchase_amount_cents: int,
                        today: datetime.date) -> list[Posting]:
    """Points that a booking of another kind earns where a points program says so."""
    postings = []
    for program in catalog().active_programs():
        behaviour = program.behaviour
        if behaviour.earns_on(kind) and (points := behaviour.points_for_purchase(purchase_amount_cents, on=today)):
            postings.append(Posting(card, program, points, expires_on=behaviour.credit_expires_on(today)))
    return postings


@booking_service
def booking_earn(*, card_number: str, program: Program | int, purchase_amount_cents: int,
                 idempotency_key: str | SystemKey, actor: Actor, receipt_number: str = "",
                 confirmed: bool = False) -> Booking:
    """Points for a purchase. A purchase too small for a point is still booked, with no entry."""
    request, card, repeat = _card_request(
        Kind.EARN, card_number, idempotency_key, actor, program=_id(program),
        purchase=purchase_amount_cents, receipt=receipt_number)
    if repeat:
        return repeat
    program = program_for_booking(program, Kind.EARN)
    money_amount_check(purchase_amount_cents, confirmed=confirmed)
    today = timezone.localdate()
    behaviour = program.behaviour
    points = behaviour.points_for_purchase(purchase_amount_cents, on=today)
    return booking_post(request, card=card, program=program,
                        postings=[Posting(card, program, points, expires_on=behaviour.credit_expires_on(today))],
                        purchase_amount_cents=purchase_amount_cents, receipt_number=receipt_number)


@booking_service
def booking_redeem_reward(*, card_number: str, reward: int, idempotency_key: str | SystemKey,
                          actor: Actor) -> Booking:
    reward_id = getattr(reward, "pk", reward)
    request, card, repeat = _card_request(Kind.REDEEM_REWARD, card_number, idempotency_key, actor,
                                          reward=reward_id)
    if repeat:
        return repeat
    reward = catalog().reward(reward_id) or catalog(fresh=True).reward(reward_id)
    if reward is None:
        raise RewardNotFound()
    program = program_for_booking(reward.program, Kind.REDEEM_REWARD)
    return booking_post(request, card=card, program=program, reward=reward,
                        postings=[Posting(card, program, -reward.points)])


@booking_service
def booking_top_up(*, card_number: str, program: Program | int, amount_cents: int,
                   idempotency_key: str | SystemKey, actor: Actor, receipt_number: str = "",
                   confirmed: bool = False) -> Booking:
    """Prepaid money onto the card, within the program's limits."""
    request, card, repeat = _card_request(
        Kind.TOP_UP, card_number, idempotency_key, actor, program=_id(program),
        amount=amount_cents, receipt=receipt_number)
    if repeat:
        return repeat
    program = program_for_booking(program, Kind.TOP_UP)
    money_amount_check(amount_cents, confirmed=confirmed)
    today = timezone.localdate()
    postings = [Posting(card, program, amount_cents, capped=True,
                        expires_on=program.behaviour.credit_expires_on(today))]
    postings += _points_also_earned(card, Kind.TOP_UP, amount_cents, today)
    return booking_post(request, card=card, program=program, postings=postings,
                        receipt_number=receipt_number)


@booking_service
def booking_pay(*, card_number: str, program: Program | int, amount_cents: int,
                idempotency_key: str | SystemKey, actor: Actor, receipt_number: str = "",
                confirmed: bool = False) -> Booking:
    """Pay (part of) a purchase with prepaid money; the purchase can later be returned."""
    request, card, repeat = _card_request(
        Kind.PAY, card_number, idempotency_key, actor, program=_id(program),
        amount=amount_cents, receipt=receipt_number)
    if repeat:
        return repeat
    program = program_for_booking(program, Kind.PAY)
    money_amount_check(amount_cents, confirmed=confirmed)
    postings = [Posting(card, program, -amount_cents)]
    postings += _points_also_earned(card, Kind.PAY, amount_cents, timezone.localdate())
    return booking_post(request, card=card, program=program, postings=postings,
                        purchase_amount_cents=amount_cents, receipt_number=receipt_number)


@booking_service
def booking_stamp(*, card_number: str, program: Program | int, idempotency_key: str | SystemKey,
                  actor: Actor, stamps: int = 1, receipt_number: str = "") -> Booking:
    request, card, repeat = _card_request(
        Kind.STAMP, card_number, idempotency_key, actor, program=_id(program),
        stamps=stamps, receipt=receipt_number)
    if repeat:
        return repeat
    program = program_for_booking(program, Kind.STAMP)
    amount_check(stamps, text=stamps_text, maximum=MAX_STAMPS)
    return booking_post(request, card=card, program=program, receipt_number=receipt_number,
                        postings=[Posting(card, program, stamps)])


@booking_service
def booking_redeem_stamps(*, card_number: str, program: Program | int,
                          idempotency_key: str | SystemKey, actor: Actor) -> Booking:
    """A full stamp card for its reward; the stamps beyond a full card stay."""
    request, card, repeat = _card_request(Kind.REDEEM_STAMPS, card_number, idempotency_key, actor,
                                          program=_id(program))
    if repeat:
        return repeat
    program = program_for_booking(program, Kind.REDEEM_STAMPS)
    return booking_post(request, card=card, program=program,
                        postings=[Posting(card, program, -program.stamps_per_reward)])


@booking_service
def booking_voucher_issue(*, card_number: str, program: Program | int,
                          idempotency_key: str | SystemKey, actor: Actor,
                          amount_cents: int | None = None, receipt_number: str = "",
                          confirmed: bool = False) -> Booking:
    """Load a voucher's value onto a card; it is valid as the program or the country's law says."""
    NotPermitted.unless(actor, VOUCHER_ISSUE_PERMISSION, device_alone=True)
    request, card, repeat = _card_request(
        Kind.VOUCHER_ISSUE, card_number, idempotency_key, actor, program=_id(program),
        amount=amount_cents, receipt=receipt_number)
    if repeat:
        return repeat
    program = program_for_booking(program, Kind.VOUCHER_ISSUE)
    amount = money_amount_check(amount_cents if amount_cents is not None else program.voucher_value_cents,
                                confirmed=confirmed)
    today = timezone.localdate()
    postings = [Posting(card, program, amount, expires_on=program.behaviour.credit_expires_on(today))]
    postings += _points_also_earned(card, Kind.VOUCHER_ISSUE, amount, today)
    return booking_post(request, card=card, program=program, postings=postings,
                        receipt_number=receipt_number)


@booking_service
def booking_voucher_redeem(*, card_number: str, program: Program | int, amount_cents: int,
                           idempotency_key: str | SystemKey, actor: Actor,
                           receipt_number: str = "", confirmed: bool = False) -> Booking:
    request, card, repeat = _card_request(
        Kind.VOUCHER_REDEEM, card_number, idempotency_key, actor, program=_id(program),
        amount=amount_cents, receipt=receipt_number)
    if repeat:
        return repeat
    program = program_for_booking(program, Kind.VOUCHER_REDEEM)
    money_amount_check(amount_cents, confirmed=confirmed)
    return booking_post(request, card=card, program=program, receipt_number=receipt_number,
                        postings=[Posting(card, program, -amount_cents)])


@booking_service
def booking_adjust(*, card_number: str, program: Program | int, amount: int, reason: str,
                   idempotency_key: str | SystemKey, actor: Actor) -> Booking:
    """A manual correction, up or down, always with a reason."""
    NotPermitted.unless(actor, ADJUST_PERMISSION)
    request, card, repeat = _card_request(
        Kind.ADJUSTMENT, card_number, idempotency_key, actor, program=_id(program),
        amount=amount, reason=reason)
    if repeat:
        return repeat
    program = program_get(program)
    if not reason.strip():
        raise ReasonRequired()
    # Either sign; anything but a whole number is refused with the usual message.
    amount_check(abs(amount) if type(amount) is int else amount, text=program.behaviour.amount_text)
    booking = booking_post(request, card=card, program=program, reason=reason.strip(),
                           postings=[Posting(card, program, amount)])
    audit_record(actor=actor, action="booking.adjustment", target=booking, card=card.number,
                 program=program.pk, amount=amount, reason=reason.strip())
    return booking


@booking_service
def booking_opening_balance(*, card_number: str, program: Program | int, amount: int, reason: str,
                            idempotency_key: str | SystemKey, actor: Actor) -> Booking:
    """A balance brought over from an earlier system (an import): a credit with the reason naming
    where it came from; it expires like a credit booked today."""
    request, card, repeat = _card_request(
        Kind.OPENING_BALANCE, card_number, idempotency_key, actor, program=_id(program),
        amount=amount, reason=reason)
    if repeat:
        return repeat
    program = program_get(program)
    if not reason.strip():
        raise ReasonRequired()
    amount_check(amount, text=program.behaviour.amount_text)
    expires_on = program.behaviour.credit_expires_on(timezone.localdate())
    booking = booking_post(request, card=card, program=program, reason=reason.strip(),
                           postings=[Posting(card, program, amount, expires_on=expires_on)])
    audit_record(actor=actor, action="booking.opening_balance", target=booking, card=card.number,
                 program=program.pk, amount=amount, reason=reason.strip())
    return booking


@booking_service
def booking_bonus(*, card_number: str, program: Program | int, points: int, reason: str,
                  idempotency_key: str | SystemKey, actor: Actor) -> Booking:
    """Bonus points (birthday, sign-up, goodwill); they expire like earned points."""
    request, card, repeat = _card_request(
        Kind.BONUS, card_number, idempotency_key, actor, program=_id(program),
        points=points, reason=reason)
    if repeat:
        return repeat
    program = program_for_booking(program, Kind.BONUS)
    amount_check(points, text=program.behaviour.amount_text)
    expires_on = program.behaviour.credit_expires_on(timezone.localdate())
    return booking_post(request, card=card, program=program, reason=reason,
                        postings=[Posting(card, program, points, expires_on=expires_on)])


# --- Returns and reversals -------------------------------------------------------------------------


def _booking_lock(booking_id: int) -> Booking:
    booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
    if booking is None:
        raise BookingNotFound()
    return booking


def booking_effects(entries) -> dict[int, int]:
    """What a booking did to each program's account, from its entries (with their accounts): the
    amounts plus what they paid off an open claim (a credit of 12 that paid a claim of 5 earned
    12, of which 7 landed on the balance)."""
    effects: dict[int, int] = {}
    for entry in entries:
        program_id = entry.account.program_id
        effects[program_id] = effects.get(program_id, 0) + entry.amount - entry.claim_change
    return effects


def _effects_of(booking: Booking) -> dict[int, int]:
    return booking_effects(booking.entries.select_related("account"))


RETURNABLE = {Kind.EARN, Kind.PAY}  # sales with a purchase amount


def booking_return_refusal(sale: Booking, *, reversed_: bool, returned_cents: int,
                           amount: int = 1) -> LoyaltyError | None:
    """Why `amount` of this sale cannot be returned now, or None: the rule the till asks before
    it offers "return" (for the least amount, 1 cent) and the service checks before it books.
    `returned_cents` is what earlier returns of the sale took back."""
    if sale.kind not in RETURNABLE or not sale.purchase_amount_cents:
        return NotReturnable()
    if reversed_:
        return AlreadyReversed()
    left = sale.purchase_amount_cents - returned_cents
    if amount > left:
        return ReturnExceedsSale(left=money_text(left))
    return None


@booking_service
def booking_return(*, sale_id: int, return_amount_cents: int, idempotency_key: str | SystemKey,
                   actor: Actor, receipt_number: str = "", confirmed: bool = False) -> Booking:
    """Take back (part of) a sale: what it earned is taken back and what paid for it is given
    back, in proportion to the returned amount; points already spent stay as an open claim. All
    returns of a sale together never exceed it. A replaced card's returns book on its successor."""
    request = BookingRequest(Kind.RETURN, idempotency_key, actor,
                             {"sale": sale_id, "amount": return_amount_cents, "receipt": receipt_number})
    if (repeat := booking_repeat(request)) is not None:
        return repeat
    sale = _booking_lock(sale_id)  # returns of one sale queue up behind each other
    returns = sale.returns.prefetch_related(Prefetch("entries", LedgerEntry.objects.select_related("account")))
    returned = returns.aggregate(total=Sum("purchase_amount_cents"))["total"] or 0
    if refusal := booking_return_refusal(sale, reversed_=Booking.objects.filter(reverses=sale).exists(),
                                         returned_cents=returned, amount=amount_check(return_amount_cents)):
        raise refusal
    money_amount_check(return_amount_cents, confirmed=confirmed)
    card = card_lock_current(sale.card_id)
    taken_back = {}
    for booking in returns:
        for program_id, effect in booking_effects(booking.entries.all()).items():
            taken_back[program_id] = taken_back.get(program_id, 0) + effect
    postings = []
    for program_id, effect in _effects_of(sale).items():
        # Proportional to all returns so far, so that rounding never drifts over several returns.
        due = abs(effect) * (returned + return_amount_cents) // sale.purchase_amount_cents
        change = due - abs(taken_back.get(program_id, 0))
        # What the sale credited is taken back (a debit); what paid for it is given back.
        postings.append(Posting(card, program_get(program_id), -change if effect > 0 else change,
                                take_back=effect > 0))
    return booking_post(request, card=card, program=sale.program, postings=postings,
                        returned_sale=sale, purchase_amount_cents=return_amount_cents,
                        receipt_number=receipt_number)


NOT_REVERSIBLE = {Kind.REVERSAL, Kind.EXPIRY, Kind.CARD_REPLACEMENT, Kind.RETURN}


def booking_reversal_refusal(booking: Booking, *, effects: dict[int, int],
                             accounts: dict[int, AccountState], reversed_: bool,
                             returned: bool, actor: Actor, now: datetime.datetime):
    """Why this actor cannot reverse this booking at `now`, or None: the rule the till asks
    before it offers "reverse" and the service checks before it reverses. `effects` is what the
    booking did per program, `accounts` the state of the current card's accounts."""
    if booking.kind in NOT_REVERSIBLE:
        return NotReversible(why=booking.get_kind_display())
    if reversed_:
        return AlreadyReversed()
    if returned:
        return NotReversible(why=Kind.RETURN.label)
    if refusal := _reversal_actor_refusal(booking, actor=actor, now=now):
        return refusal
    for program_id, effect in effects.items():
        if effect > 0:
            refusal = program_get(program_id).behaviour.take_back_refusal(
                account=accounts.get(program_id, AccountState()), amount=effect)
            if refusal is not None:
                return refusal
    return None


def _reversal_actor_refusal(booking: Booking, *, actor: Actor, now: datetime.datetime):
    """Managers and owners reverse any booking; whoever else may book only their own, within
    the owner's window (a slip noticed at once); a terminal or an API key alone never. The system's own
    corrections (no person, no terminal) are not the till's business."""
    user = actor.user
    if user is None:
        # A device or an integrator's key signs for no one.
        return ReversalNeedsPerson() if actor.terminal is not None or actor.api_key is not None else None
    if user.has_perm(REVERSE_ANY_PERMISSION):
        return None
    minutes = catalog().settings.reversal_window_minutes
    if booking.staff_user_id != user.pk or booking.created_at < now - datetime.timedelta(minutes=minutes):
        return ReversalNotYours(minutes=minutes)
    return None


@booking_service
def booking_reverse(*, booking_id: int, idempotency_key: str | SystemKey, actor: Actor,
                    reason: str = "") -> Booking:
    """Undo a booking with a new one that books every change back. Once per booking; points
    already spent stay as an open claim."""
    request = BookingRequest(Kind.REVERSAL, idempotency_key, actor, {"reverses": booking_id})
    # The same request again (e.g. a retry after a lost answer) gets the first answer.
    if (repeat := booking_repeat(request)) is not None:
        return repeat
    original = _booking_lock(booking_id)  # a second reversal waits here, then finds the first
    # Read after the lock, in a statement of their own: they see what committed while it waited.
    reversed_ = Booking.objects.filter(reverses=original).exists()
    returned = original.returns.exists()
    card = card_lock_current(original.card_id)
    effects = _effects_of(original)
    programs = [program_get(program_id) for program_id in effects]
    states = {program_id: AccountState(balance=account.balance, claim=account.claim,
                                       available=account_available(account))
              for (_card, program_id), account in accounts_lock([(card, p) for p in programs]).items()}
    if refusal := booking_reversal_refusal(original, effects=effects, accounts=states,
                                           reversed_=reversed_, returned=returned, actor=actor,
                                           now=timezone.now()):
        raise refusal
    booked_on = timezone.localtime(original.created_at).date()
    postings = [
        Posting(card, program, -effects[program.pk], take_back=effects[program.pk] > 0,
                expires_on=program.behaviour.credit_expires_on(booked_on))
        for program in programs
    ]
    booking = booking_post(request, card=card, program=original.program, postings=postings,
                           reverses=original, reason=reason)
    audit_record(actor=actor, action="booking.reversal", target=booking, reverses=original.pk,
                 card=card.number, reason=reason)
    return booking


def account_available(account) -> int:
    """What can be spent: the balance less lots that have expired but are not booked away yet."""
    expired = (Lot.objects.expired(on=timezone.localdate()).filter(account=account)
               .aggregate(total=Sum("remaining"))["total"])
    return account.balance - (expired or 0)


# --- Expiry --------------------------------------------------------------------------------------


def lots_expire(*, today: datetime.date, actor: Actor) -> int:
    """Book away what is left of every lot that expired before `today`, one booking per lot.
    Idempotent: a lot expires once, whoever runs this and however often."""
    lot_ids = list(Lot.objects.expired(on=today).values_list("pk", flat=True))
    return sum(_lot_expire(lot_id=lot_id, actor=actor) is not None for lot_id in lot_ids)


@booking_service
def _lot_expire(*, lot_id: int, actor: Actor) -> Booking | None:
    request = BookingRequest(Kind.EXPIRY, SystemKey(f"expiry:{lot_id}"), actor, {"lot": lot_id})
    if booking_repeat(request) is not None:
        return None
    account = Lot.objects.select_related("account").get(pk=lot_id).account
    card = Card.objects.select_for_update(no_key=True).get(pk=account.card_id)
    program = program_get(account.program_id)
    accounts_lock([(card, program)])
    lot = Lot.objects.select_for_update().get(pk=lot_id)
    if not lot.remaining:
        return None  # spent or moved meanwhile
    return booking_post(request, card=card, program=program,
                        postings=[Posting(card, program, -lot.remaining, from_lot=lot)])

