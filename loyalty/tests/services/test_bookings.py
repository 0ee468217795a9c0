"""Bookings through the services: what each one books, and what it refuses (booking nothing)."""
import datetime
import uuid
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from loyalty import errors
from loyalty.models import Account, AuditLog, BonusAction, Booking, Card, LedgerEntry, Lot
from loyalty.programs.voucher import voucher_valid_until
from loyalty.services import bookings as svc
from loyalty.services.cards import card_block, card_replace
from tests.support.factories import CardFactory, RewardFactory

pytestmark = pytest.mark.django_db


def key() -> str:
    return str(uuid.uuid4())


def balance(card, program) -> int:
    return Account.objects.get(card=card, program=program).balance


def nothing_booked() -> bool:
    return not Booking.objects.exists() and not LedgerEntry.objects.exists()


# --- points ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rounding", "expected"), [("down", 12), ("half_up", 13), ("up", 13)])
def test_earn_rounds_once_by_the_programs_rule(card, points, actor, rounding, expected):
    points.points_per_euro, points.rounding = Decimal("0.5"), rounding
    points.save()

    booking = svc.booking_earn(card_number=card.number, program=points.pk,
                               purchase_amount_cents=2_599, idempotency_key=key(), actor=actor)

    assert booking.entries.get().amount == expected
    assert booking.purchase_amount_cents == 2_599
    assert balance(card, points) == expected


def test_double_points_period_multiplies_the_points(card, points, actor):
    today = timezone.localdate()
    BonusAction.objects.create(program=points, kind="multiplier", name="Double points",
                               multiplier=Decimal(2), starts_on=today, ends_on=today)
    BonusAction.objects.create(program=points, kind="multiplier", name="Last week",
                               multiplier=Decimal(5), starts_on=today - datetime.timedelta(days=8),
                               ends_on=today - datetime.timedelta(days=1))

    svc.booking_earn(card_number=card.number, program=points.pk, purchase_amount_cents=1_000,
                     idempotency_key=key(), actor=actor)

    assert balance(card, points) == 20


def test_points_expire_in_lots_on_the_configured_day(card, points, actor):
    points.expiry, points.expiry_months = "rolling_months", 6
    points.save()

    svc.booking_earn(card_number=card.number, program=points.pk, purchase_amount_cents=500,
                     idempotency_key=key(), actor=actor)

    assert Lot.objects.get().expires_on == timezone.localdate() + relativedelta(months=6)


def test_redeem_reward_takes_its_points_and_refuses_when_too_few(card, points, actor):
    reward = RewardFactory(program=points, points=30)
    svc.booking_earn(card_number=card.number, program=points.pk, purchase_amount_cents=4_000,
                     idempotency_key=key(), actor=actor)

    svc.booking_redeem_reward(card_number=card.number, reward=reward.pk, idempotency_key=key(), actor=actor)
    with pytest.raises(errors.InsufficientBalance):
        svc.booking_redeem_reward(card_number=card.number, reward=reward.pk, idempotency_key=key(),
                                  actor=actor)

    assert balance(card, points) == 10
    assert Booking.objects.filter(kind="redeem_reward").count() == 1


def test_expired_points_cannot_be_spent_and_expire_once(card, points, actor):
    svc.booking_earn(card_number=card.number, program=points.pk, purchase_amount_cents=5_000,
                     idempotency_key=key(), actor=actor)
    Lot.objects.update(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    reward = RewardFactory(program=points, points=10)

    with pytest.raises(errors.InsufficientBalance):
        svc.booking_redeem_reward(card_number=card.number, reward=reward, idempotency_key=key(),
                                  actor=actor)
    first = svc.lots_expire(today=timezone.localdate(), actor=actor)
    second = svc.lots_expire(today=timezone.localdate(), actor=actor)

    assert (first, second) == (1, 0)
    expiry = Booking.objects.get(kind="expiry")
    assert expiry.entries.get().amount == -50
    assert balance(card, points) == 0
    assert Lot.objects.get().remaining == 0


# --- prepaid --------------------------------------------------------------------------------------

def test_top_up_and_pay(card, prepaid, actor):
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=10_000,
                       idempotency_key=key(), actor=actor)
    svc.booking_pay(card_number=card.number, program=prepaid, amount_cents=2_350,
                    idempotency_key=key(), actor=actor, receipt_number="R-17")

    assert balance(card, prepaid) == 7_650
    pay = Booking.objects.get(kind="pay")
    assert (pay.receipt_number, pay.purchase_amount_cents) == ("R-17", 2_350)


def test_pay_more_than_the_balance_is_refused(card, prepaid, actor):
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=1_000,
                       idempotency_key=key(), actor=actor)

    with pytest.raises(errors.InsufficientBalance) as refused:
        svc.booking_pay(card_number=card.number, program=prepaid, amount_cents=1_001,
                        idempotency_key=key(), actor=actor)

    assert str(refused.value) == "Das Guthaben reicht nicht: 10,00 € verfügbar, 10,01 € verlangt."
    assert balance(card, prepaid) == 1_000
    assert not Booking.objects.filter(kind="pay").exists()


def test_top_up_beyond_the_caps_is_refused(card, prepaid, actor):
    with pytest.raises(errors.TopUpTooLarge):
        svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=20_001,
                           idempotency_key=key(), actor=actor, confirmed=True)
    for _ in range(2):
        svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=20_000,
                           idempotency_key=key(), actor=actor)
    with pytest.raises(errors.BalanceCapExceeded):
        svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=10_001,
                           idempotency_key=key(), actor=actor)

    assert balance(card, prepaid) == 40_000
    assert Booking.objects.filter(kind="top_up").count() == 2


# --- stamps ---------------------------------------------------------------------------------------

def test_full_stamp_card_is_redeemed_and_starts_again(card, stamps, actor):
    for _ in range(6):
        svc.booking_stamp(card_number=card.number, program=stamps, idempotency_key=key(), actor=actor)

    svc.booking_redeem_stamps(card_number=card.number, program=stamps, idempotency_key=key(), actor=actor)

    assert balance(card, stamps) == 1
    with pytest.raises(errors.StampCardNotFull):
        svc.booking_redeem_stamps(card_number=card.number, program=stamps, idempotency_key=key(),
                                  actor=actor)


# --- vouchers -------------------------------------------------------------------------------------

def test_voucher_issued_on_1_march_2026_in_germany_is_valid_until_end_of_2029():
    assert voucher_valid_until(datetime.date(2026, 3, 1), country="DE") == datetime.date(2029, 12, 31)


def test_voucher_validity_differs_in_austria_and_can_be_set_per_program():
    assert voucher_valid_until(datetime.date(2026, 3, 1), country="AT") == datetime.date(2056, 3, 1)
    assert voucher_valid_until(datetime.date(2026, 3, 1), country="DE", years=5) == datetime.date(2031, 12, 31)


def test_issued_voucher_lot_carries_the_german_validity(card, voucher, actor):
    svc.booking_voucher_issue(card_number=card.number, program=voucher, idempotency_key=key(), actor=actor)

    today = timezone.localdate()
    assert Lot.objects.get().expires_on == datetime.date(today.year + 3, 12, 31)
    assert balance(card, voucher) == 2_500


def test_voucher_is_redeemed_in_parts_unless_the_program_forbids_it(card, voucher, actor):
    svc.booking_voucher_issue(card_number=card.number, program=voucher, idempotency_key=key(), actor=actor)
    svc.booking_voucher_redeem(card_number=card.number, program=voucher, amount_cents=1_000,
                               idempotency_key=key(), actor=actor)
    voucher.partial_redemption = False
    voucher.save()

    with pytest.raises(errors.PartialRedemptionNotAllowed):
        svc.booking_voucher_redeem(card_number=card.number, program=voucher, amount_cents=500,
                                   idempotency_key=key(), actor=actor)
    svc.booking_voucher_redeem(card_number=card.number, program=voucher, amount_cents=1_500,
                               idempotency_key=key(), actor=actor)

    assert balance(card, voucher) == 0
    assert Booking.objects.filter(kind="voucher_redeem").count() == 2


# --- idempotency ----------------------------------------------------------------------------------

def test_same_key_books_once_and_returns_the_first_booking(card, prepaid, actor):
    the_key = key()
    first = svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=500,
                               idempotency_key=the_key, actor=actor)
    again = svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=500,
                               idempotency_key=the_key, actor=actor)

    assert again.pk == first.pk
    assert balance(card, prepaid) == 500
    assert LedgerEntry.objects.count() == 1


def test_same_key_with_another_amount_is_refused(card, prepaid, actor):
    the_key = key()
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=500,
                       idempotency_key=the_key, actor=actor)

    with pytest.raises(errors.IdempotencyKeyReused):
        svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=700,
                           idempotency_key=the_key, actor=actor)

    assert balance(card, prepaid) == 500
    assert Booking.objects.count() == 1


# --- returns and reversals ------------------------------------------------------------------------

def test_partial_returns_take_back_points_in_proportion_and_never_more_than_earned(card, points, actor):
    sale = svc.booking_earn(card_number=card.number, program=points, purchase_amount_cents=9_999,
                            idempotency_key=key(), actor=actor)  # 99 points
    for amount in (3_333, 3_333):
        svc.booking_return(sale_id=sale.pk, return_amount_cents=amount, idempotency_key=key(), actor=actor)
    assert balance(card, points) == 99 - 66

    with pytest.raises(errors.ReturnExceedsSale):
        svc.booking_return(sale_id=sale.pk, return_amount_cents=3_334, idempotency_key=key(), actor=actor)
    svc.booking_return(sale_id=sale.pk, return_amount_cents=3_333, idempotency_key=key(), actor=actor)

    assert balance(card, points) == 0
    taken_back = -sum(e.amount for e in LedgerEntry.objects.filter(booking__kind="return"))
    assert taken_back == 99
    assert Booking.objects.filter(kind="return", returned_sale=sale).count() == 3


def test_return_of_a_prepaid_payment_gives_the_money_back(card, prepaid, actor):
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=5_000,
                       idempotency_key=key(), actor=actor)
    sale = svc.booking_pay(card_number=card.number, program=prepaid, amount_cents=4_000,
                           idempotency_key=key(), actor=actor)

    svc.booking_return(sale_id=sale.pk, return_amount_cents=1_000, idempotency_key=key(), actor=actor)

    assert balance(card, prepaid) == 2_000


def test_buy_earn_redeem_return_leaves_an_open_claim_that_the_next_earn_pays_off_first(card, points, actor):
    reward = RewardFactory(program=points, points=100)
    sale = svc.booking_earn(card_number=card.number, program=points, purchase_amount_cents=10_500,
                            idempotency_key=key(), actor=actor)
    svc.booking_redeem_reward(card_number=card.number, reward=reward, idempotency_key=key(), actor=actor)

    svc.booking_return(sale_id=sale.pk, return_amount_cents=10_500, idempotency_key=key(), actor=actor)

    account = Account.objects.get(card=card, program=points)
    assert (account.balance, account.claim) == (0, 100)  # 5 taken back, 100 still owed
    entry = LedgerEntry.objects.get(booking__kind="return")
    assert (entry.amount, entry.claim_change, entry.balance_after) == (-5, 100, 0)

    svc.booking_earn(card_number=card.number, program=points, purchase_amount_cents=6_000,
                     idempotency_key=key(), actor=actor)
    svc.booking_earn(card_number=card.number, program=points, purchase_amount_cents=7_000,
                     idempotency_key=key(), actor=actor)

    account.refresh_from_db()
    assert (account.balance, account.claim) == (30, 0)  # 60 + 70 earned, 100 of it paid the claim
    first, second = LedgerEntry.objects.filter(booking__kind="earn").order_by("pk")[1:]
    assert (first.amount, first.claim_change) == (0, -60)
    assert (second.amount, second.claim_change) == (30, -40)
    assert Lot.objects.filter(account=account, remaining__gt=0).get().remaining == 30


def test_a_return_never_takes_money_below_zero_it_refuses(card, prepaid, actor):
    top_up = svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=1_000,
                                idempotency_key=key(), actor=actor)
    svc.booking_pay(card_number=card.number, program=prepaid, amount_cents=600, idempotency_key=key(),
                    actor=actor)

    with pytest.raises(errors.ReturnCannotTakeBack):
        svc.booking_reverse(booking_id=top_up.pk, idempotency_key=key(), actor=actor)

    assert balance(card, prepaid) == 400
    assert not Booking.objects.filter(kind="reversal").exists()


def test_reversal_books_every_entry_back_once(card, prepaid, actor):
    top_up = svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=3_000,
                                idempotency_key=key(), actor=actor)
    reversal = svc.booking_reverse(booking_id=top_up.pk, idempotency_key=key(), actor=actor)

    with pytest.raises(errors.AlreadyReversed):
        svc.booking_reverse(booking_id=top_up.pk, idempotency_key=key(), actor=actor)

    assert reversal.reverses == top_up
    assert reversal.entries.get().amount == -3_000
    assert balance(card, prepaid) == 0
    assert Booking.objects.filter(kind="reversal").count() == 1


def test_reversal_retried_with_its_key_answers_with_the_first_reversal(card, prepaid, actor):
    top_up = svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=3_000,
                                idempotency_key=key(), actor=actor)
    the_key = key()

    first = svc.booking_reverse(booking_id=top_up.pk, idempotency_key=the_key, actor=actor)
    again = svc.booking_reverse(booking_id=top_up.pk, idempotency_key=the_key, actor=actor)

    assert first.pk == again.pk


def test_reversal_of_points_already_spent_leaves_them_as_an_open_claim(card, points, actor):
    reward = RewardFactory(program=points, points=10)
    earn = svc.booking_earn(card_number=card.number, program=points, purchase_amount_cents=1_500,
                            idempotency_key=key(), actor=actor)
    svc.booking_redeem_reward(card_number=card.number, reward=reward, idempotency_key=key(), actor=actor)

    reversal = svc.booking_reverse(booking_id=earn.pk, idempotency_key=key(), actor=actor)

    assert [(e.amount, e.claim_change) for e in reversal.entries.all()] == [(-5, 10)]
    account = Account.objects.get(card=card, program=points)
    assert (account.balance, account.claim) == (0, 10)


def test_reversal_of_a_payment_gives_the_money_back(card, prepaid, actor):
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=1_000,
                       idempotency_key=key(), actor=actor)
    pay = svc.booking_pay(card_number=card.number, program=prepaid, amount_cents=400,
                          idempotency_key=key(), actor=actor)

    svc.booking_reverse(booking_id=pay.pk, idempotency_key=key(), actor=actor)

    assert balance(card, prepaid) == 1_000


# --- adjustments, cards, refusals -----------------------------------------------------------------

def test_adjustment_needs_a_reason_and_books_with_it(card, points, actor):
    with pytest.raises(errors.ReasonRequired):
        svc.booking_adjust(card_number=card.number, program=points, amount=5, reason=" ",
                           idempotency_key=key(), actor=actor)
    svc.booking_adjust(card_number=card.number, program=points, amount=5, reason="Goodwill",
                       idempotency_key=key(), actor=actor)
    svc.booking_adjust(card_number=card.number, program=points, amount=-2, reason="Typo",
                       idempotency_key=key(), actor=actor)

    assert balance(card, points) == 3
    assert list(Booking.objects.filter(kind="adjustment").order_by("pk").values_list("reason", flat=True)) == [
        "Goodwill", "Typo"]


@pytest.mark.parametrize(("amount", "refusal", "message"), [
    (0, errors.AmountNotPositive, "Der Betrag muss größer als null sein."),
    (-1, errors.AmountNotPositive, "Der Betrag muss größer als null sein."),
    # Above the owner's hard maximum (1.000,00 € by default), confirmed or not.
    (100_001, errors.AmountTooLarge, "Der Betrag darf höchstens 1.000,00 € sein."),
    ("12", errors.InvalidAmount, None), (1.5, errors.InvalidAmount, None),
    (True, errors.InvalidAmount, None), (None, errors.InvalidAmount, None),
])
def test_absurd_amounts_are_refused_in_money_and_book_nothing(card, prepaid, actor, amount, refusal, message):
    with pytest.raises(refusal) as refused:
        svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=amount,
                           idempotency_key=key(), actor=actor)

    assert message is None or str(refused.value) == message
    assert nothing_booked()


def test_unknown_card_blocked_card_and_wrong_program_are_refused(card, points, prepaid, actor):
    with pytest.raises(errors.CardNotFound):
        svc.booking_top_up(card_number="0000000000000", program=prepaid, amount_cents=100,
                           idempotency_key=key(), actor=actor)
    with pytest.raises(errors.WrongProgram):
        svc.booking_top_up(card_number=card.number, program=points, amount_cents=100,
                           idempotency_key=key(), actor=actor)
    with pytest.raises(errors.ProgramNotFound):
        svc.booking_top_up(card_number=card.number, program=999_999, amount_cents=100,
                           idempotency_key=key(), actor=actor)
    card_block(card_number=card.number, actor=actor)
    with pytest.raises(errors.CardNotActive):
        svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=100,
                           idempotency_key=key(), actor=actor)

    assert nothing_booked()


def test_card_replacement_moves_every_balance_with_its_expiry(card, points, prepaid, actor):
    points.expiry = "year_end"
    points.save()
    svc.booking_earn(card_number=card.number, program=points, purchase_amount_cents=1_200,
                     idempotency_key=key(), actor=actor)
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=800,
                       idempotency_key=key(), actor=actor)
    new_card = CardFactory(status=Card.Status.UNISSUED)

    booking = card_replace(old_card_number=card.number, new_card_number=new_card.number,
                           idempotency_key=key(), actor=actor)

    card.refresh_from_db()
    new_card.refresh_from_db()
    assert (card.status, card.replaced_by, new_card.status) == ("replaced", new_card, "active")
    assert balance(card, points) == 0 and balance(card, prepaid) == 0
    assert balance(new_card, points) == 12 and balance(new_card, prepaid) == 800
    assert Lot.objects.get(account__card=new_card, account__program=points).expires_on.month == 12
    assert booking.entries.count() == 4
    with pytest.raises(errors.CardReplaced, match=new_card.number):
        svc.booking_earn(card_number=card.number, program=points, purchase_amount_cents=100,
                         idempotency_key=key(), actor=actor)


def test_every_booking_names_its_actor_and_corrections_are_audited(card, prepaid):
    from loyalty.actors import Actor

    top_up = svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=100,
                                idempotency_key=key(), actor=Actor.system("import"))
    reversal = svc.booking_reverse(booking_id=top_up.pk, idempotency_key=key(),
                                   actor=Actor(label="manager"), reason="Typo")

    assert Booking.objects.get(pk=top_up.pk).actor_label == "system:import"
    row = AuditLog.objects.get(action="booking.reversal")
    assert (row.actor_label, row.object_id, row.data["reverses"]) == ("manager", str(reversal.pk), top_up.pk)
    assert not AuditLog.objects.filter(action="booking.top_up").exists()


def test_ledger_rows_cannot_be_changed_or_deleted(card, prepaid, actor):
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=100,
                       idempotency_key=key(), actor=actor)

    for statement in ("UPDATE loyalty_ledgerentry SET amount = 1000",
                      "DELETE FROM loyalty_ledgerentry",
                      "UPDATE loyalty_booking SET receipt_number = 'x'"):
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute(statement)

    assert LedgerEntry.objects.get().amount == 100


def test_ledger_booking_and_audit_tables_cannot_be_truncated(card, prepaid, actor):
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=100,
                       idempotency_key=key(), actor=actor)
    svc.booking_adjust(card_number=card.number, program=prepaid, amount=5, reason="Test",
                       idempotency_key=key(), actor=actor)

    for table in ("loyalty_ledgerentry", "loyalty_booking", "loyalty_auditlog"):
        with (pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"),
              transaction.atomic(), connection.cursor() as cursor):
            # The test's own inserts leave foreign-key checks pending, which PostgreSQL would name
            # instead: run them first, so that the table's trigger is what answers.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {table} CASCADE")

    assert (Booking.objects.count(), LedgerEntry.objects.count()) == (2, 2)
    assert AuditLog.objects.filter(action="booking.adjustment").count() == 1


def test_returns_and_reversals_of_a_replaced_cards_sales_book_on_its_successor(card, points, prepaid, actor):
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=5_000,
                       idempotency_key=key(), actor=actor)
    paid = svc.booking_pay(card_number=card.number, program=prepaid, amount_cents=2_000,
                           idempotency_key=key(), actor=actor)
    earned = svc.booking_earn(card_number=card.number, program=points, purchase_amount_cents=3_000,
                              idempotency_key=key(), actor=actor)
    new_card = CardFactory(status=Card.Status.UNISSUED)
    card_replace(old_card_number=card.number, new_card_number=new_card.number, idempotency_key=key(),
                 actor=actor)

    svc.booking_return(sale_id=paid.pk, return_amount_cents=1_000, idempotency_key=key(), actor=actor)
    svc.booking_reverse(booking_id=earned.pk, idempotency_key=key(), actor=actor)

    assert balance(card, prepaid) == 0 and balance(card, points) == 0
    assert balance(new_card, prepaid) == 3_000 + 1_000
    assert balance(new_card, points) == 0
    assert set(Booking.objects.filter(kind__in=["return", "reversal"]).values_list("card", flat=True)) == {
        new_card.pk}


def test_a_replaced_cards_open_claim_moves_to_its_successor(card, points, actor):
    reward = RewardFactory(program=points, points=10)
    sale = svc.booking_earn(card_number=card.number, program=points, purchase_amount_cents=1_000,
                            idempotency_key=key(), actor=actor)
    svc.booking_redeem_reward(card_number=card.number, reward=reward, idempotency_key=key(), actor=actor)
    svc.booking_return(sale_id=sale.pk, return_amount_cents=1_000, idempotency_key=key(), actor=actor)
    new_card = CardFactory(status=Card.Status.UNISSUED)

    card_replace(old_card_number=card.number, new_card_number=new_card.number, idempotency_key=key(),
                 actor=actor)

    old, new = (Account.objects.get(card=c, program=points) for c in (card, new_card))
    assert (old.balance, old.claim, new.balance, new.claim) == (0, 0, 0, 10)


@pytest.mark.parametrize(("flag", "book"), [
    ("points_on_top_ups", lambda card, programs, actor: svc.booking_top_up(
        card_number=card.number, program=programs["prepaid"], amount_cents=2_000, idempotency_key=key(),
        actor=actor)),
    ("points_on_prepaid_payments", lambda card, programs, actor: svc.booking_pay(
        card_number=card.number, program=programs["prepaid"], amount_cents=2_000, idempotency_key=key(),
        actor=actor)),
    ("points_on_voucher_sales", lambda card, programs, actor: svc.booking_voucher_issue(
        card_number=card.number, program=programs["voucher"], amount_cents=2_000, idempotency_key=key(),
        actor=actor)),
])
def test_top_ups_payments_and_voucher_sales_earn_points_only_where_the_program_says_so(
        card, points, prepaid, voucher, actor, flag, book):
    programs = {"prepaid": prepaid, "voucher": voucher}
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=5_000, idempotency_key=key(),
                       actor=actor)
    before = Account.objects.filter(card=card, program=points).first()

    by_default = book(card, programs, actor)
    setattr(points, flag, True)
    points.save()
    when_set = book(card, programs, actor)

    assert before is None and not by_default.entries.filter(account__program=points).exists()
    assert when_set.entries.get(account__program=points).amount == 20
    assert balance(card, points) == 20


def test_the_return_of_a_payment_that_earned_points_takes_them_back_in_proportion(card, points, prepaid, actor):
    points.points_on_prepaid_payments = True
    points.save()
    svc.booking_top_up(card_number=card.number, program=prepaid, amount_cents=5_000, idempotency_key=key(),
                       actor=actor)
    sale = svc.booking_pay(card_number=card.number, program=prepaid, amount_cents=4_000,
                           idempotency_key=key(), actor=actor)

    svc.booking_return(sale_id=sale.pk, return_amount_cents=1_000, idempotency_key=key(), actor=actor)

    assert (balance(card, prepaid), balance(card, points)) == (2_000, 30)
