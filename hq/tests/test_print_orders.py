"""Print orders: serial ranges that never overlap, blank cards in the right schema, forward-only
status, delivery estimates and reorder hints."""
import datetime
import re
import threading
import zoneinfo
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.backends.postgresql.psycopg_any import NumericRange
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from hq.models import PrintOrder
from hq.models import print_orders as print_order_models
from hq.printing.selectors import print_orders_for_merchant, reorder_suggestion
from hq.printing.services import print_order_advance, print_order_create, print_order_submit
from loyalty.actors import Actor
from loyalty.cardnumbers import card_number_from_serial
from loyalty.models import AuditLog, Card
from loyalty.services.cards import cards_create_range
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL

ACTIVATION_CODE = re.compile(r"^[2-9A-HJKMNP-Z]{8}$")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def operator(django_db_blocker):
    with django_db_blocker.unblock():
        return User.objects.get(email=OPERATOR_EMAIL)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def ordered(merchant, quantity, operator, **kwargs) -> PrintOrder:
    order = print_order_create(merchant=merchant, quantity=quantity, layout="standard", actor=operator, **kwargs)
    return print_order_submit(order=order, actor=operator)


def card_numbers(schema_name: str) -> list[str]:
    with schema_context(schema_name):
        return list(Card.objects.order_by("number").values_list("number", flat=True))


# --- Number ranges ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_draft_allocates_nothing_and_creates_no_cards(alice, operator):
    order = print_order_create(merchant=alice, quantity=100, layout="standard", actor=operator)

    assert (order.status, order.serials, order.ordered_at, order.estimated_delivery) == ("draft", None, None, None)
    assert order.created_by == operator
    assert card_numbers("alice") == []


@pytest.mark.django_db
def test_consecutive_orders_of_a_merchant_get_consecutive_ranges_from_one(alice, operator):
    first = ordered(alice, 100, operator)
    second = ordered(alice, 50, operator)

    assert (first.first_serial, first.last_serial) == (1, 100)
    assert (second.first_serial, second.last_serial) == (101, 150)
    assert second.first_card_number == card_number_from_serial(101)


@pytest.mark.django_db
def test_each_merchant_counts_its_own_serials(alice, bob, operator):
    ordered(alice, 100, operator)

    assert ordered(bob, 10, operator).first_serial == 1


@pytest.mark.django_db
def test_allocation_skips_cards_the_merchant_already_has(alice, operator):
    # What the demo seed does: 25 cards made without a print order.
    with schema_context("alice"):
        cards_create_range(first_serial=1, count=25, actor=Actor.system("seed"))

    order = ordered(alice, 10, operator)

    assert (order.first_serial, order.last_serial) == (26, 35)
    assert len(card_numbers("alice")) == 35


@pytest.mark.django_db
def test_the_database_refuses_an_overlapping_range_of_the_same_merchant(alice, bob, operator):
    ordered(alice, 10, operator)  # serials 1..10

    with pytest.raises(IntegrityError, match="print_order_serials_never_overlap"), transaction.atomic():
        PrintOrder.objects.create(merchant=alice, quantity=5, status="ordered", serials=NumericRange(8, 13))

    assert PrintOrder.objects.filter(merchant=alice).count() == 1
    # The same serials are fine for another merchant: numbers are unique per schema.
    PrintOrder.objects.create(merchant=bob, quantity=5, status="ordered", serials=NumericRange(8, 13))


@pytest.mark.django_db
def test_the_database_refuses_a_range_that_does_not_hold_the_quantity(alice):
    with pytest.raises(IntegrityError, match="print_order_serials_match_quantity"), transaction.atomic():
        PrintOrder.objects.create(merchant=alice, quantity=5, status="ordered", serials=NumericRange(1, 10))

    assert not PrintOrder.objects.exists()


def test_orders_submitted_at_the_same_time_never_share_a_card_number(committed, alice, operator):
    drafts = [print_order_create(merchant=alice, quantity=20, layout="standard", actor=operator) for _ in range(6)]
    start = threading.Barrier(len(drafts))

    def submit(draft):
        try:
            start.wait(timeout=30)
            return print_order_submit(order=draft, actor=operator)
        except Exception as error:
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(drafts)) as pool:
        results = list(pool.map(submit, drafts))

    assert all(isinstance(result, PrintOrder) for result in results), results
    ranges = sorted((order.first_serial, order.last_serial) for order in PrintOrder.objects.filter(merchant=alice))
    assert ranges == [(1 + 20 * i, 20 * (i + 1)) for i in range(6)]
    assert card_numbers("alice") == [card_number_from_serial(serial) for serial in range(1, 121)]


# --- Blank cards in the merchant's schema ----------------------------------------------------------


@pytest.mark.django_db
def test_submit_creates_exactly_the_ranges_blank_cards_with_activation_codes(alice, operator):
    order = ordered(alice, 30, operator)

    with schema_context("alice"):
        cards = list(Card.objects.order_by("number"))
        audit = AuditLog.objects.get(action="cards.create_range")
    assert [card.number for card in cards] == [card_number_from_serial(s) for s in range(1, 31)]
    assert {card.status for card in cards} == {Card.Status.UNISSUED}
    assert all(ACTIVATION_CODE.match(card.activation_code) for card in cards), [c.activation_code for c in cards]
    assert len({card.activation_code for card in cards}) == 30
    assert audit.actor_label == "system:print-order"
    assert order.status == "ordered"


@pytest.mark.django_db
def test_an_order_for_alice_creates_nothing_in_bobs_or_charlies_schema(alice, operator):
    ordered(alice, 40, operator)

    assert len(card_numbers("alice")) == 40
    assert card_numbers("bob") == []
    assert card_numbers("charlie") == []
    for schema_name in ("bob", "charlie"):
        with schema_context(schema_name):
            assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_an_order_is_submitted_once(alice, operator):
    order = ordered(alice, 10, operator)

    with pytest.raises(ValidationError) as refused:
        print_order_submit(order=order, actor=operator)

    assert refused.value.code == "print_order_submitted"
    assert (PrintOrder.objects.get().first_serial, PrintOrder.objects.get().last_serial) == (1, 10)
    assert len(card_numbers("alice")) == 10


# --- Creating a draft ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, 100_001])
def test_a_quantity_outside_one_to_a_hundred_thousand_is_refused(alice, operator, quantity):
    with pytest.raises(ValidationError) as refused:
        print_order_create(merchant=alice, quantity=quantity, layout="standard", actor=operator)

    assert "quantity" in refused.value.message_dict
    assert not PrintOrder.objects.exists()


@pytest.mark.django_db
def test_a_custom_layout_needs_a_design(alice, operator):
    with pytest.raises(ValidationError) as refused:
        print_order_create(merchant=alice, quantity=10, layout="custom", actor=operator)

    assert "design" in refused.value.message_dict
    assert not PrintOrder.objects.exists()


@pytest.mark.django_db
def test_a_custom_design_is_stored_under_the_merchants_folder(alice, operator, tmp_path):
    order = print_order_create(merchant=alice, quantity=10, layout="custom", actor=operator,
                               design=SimpleUploadedFile("Unser Design.PNG", PNG))

    assert re.fullmatch(r"print-orders/alice/[0-9a-f]{32}\.png", order.design.name)
    assert (tmp_path / order.design.name).read_bytes() == PNG


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content"), [
    ("design.png", b"%PDF-1.7 not a picture"),  # the name lies about the content
    ("design.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),  # not a type we print
    ("design.pdf", b"<html>hello</html>"),
])
def test_a_design_of_the_wrong_type_is_refused(alice, operator, tmp_path, name, content):
    with pytest.raises(ValidationError) as refused:
        print_order_create(merchant=alice, quantity=10, layout="custom", actor=operator,
                           design=SimpleUploadedFile(name, content))

    assert [error.code for error in refused.value.error_dict["design"]] == ["design_type"]
    assert not PrintOrder.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.django_db
def test_a_design_larger_than_the_limit_is_refused(alice, operator, monkeypatch):
    monkeypatch.setattr(print_order_models, "DESIGN_MAX_BYTES", 1024)

    with pytest.raises(ValidationError) as refused:
        print_order_create(merchant=alice, quantity=10, layout="custom", actor=operator,
                           design=SimpleUploadedFile("design.png", PNG + b"\0" * 1024))

    assert [error.code for error in refused.value.error_dict["design"]] == ["design_size"]
    assert not PrintOrder.objects.exists()


# --- Status ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_moves_forward_step_by_step_and_notes_when_each_step_was_reached(alice, operator):
    order = ordered(alice, 10, operator)

    for status in ("in_production", "shipped", "delivered"):
        order = print_order_advance(order=order, to_status=status, actor=operator)

    order.refresh_from_db()
    assert order.status == "delivered"
    assert order.ordered_at <= order.in_production_at <= order.shipped_at <= order.delivered_at


@pytest.mark.django_db
@pytest.mark.parametrize(("steps_done", "to_status"), [
    (0, "shipped"),  # skips in production
    (0, "ordered"),  # the status it has
    (1, "ordered"),  # backwards
    (2, "in_production"),  # backwards
    (3, "shipped"),  # from delivered, nothing is next
])
def test_status_never_moves_backwards_or_skips_a_step(alice, operator, steps_done, to_status):
    order = ordered(alice, 10, operator)
    for status in ("in_production", "shipped", "delivered")[:steps_done]:
        order = print_order_advance(order=order, to_status=status, actor=operator)
    before = PrintOrder.objects.values().get(pk=order.pk)

    with pytest.raises(ValidationError) as refused:
        print_order_advance(order=order, to_status=to_status, actor=operator)

    assert refused.value.code == "print_order_step"
    assert PrintOrder.objects.values().get(pk=order.pk) == before


@pytest.mark.django_db
def test_a_draft_is_submitted_not_advanced(alice, operator):
    draft = print_order_create(merchant=alice, quantity=10, layout="standard", actor=operator)

    with pytest.raises(ValidationError) as refused:
        print_order_advance(order=draft, to_status="ordered", actor=operator)

    assert refused.value.code == "print_order_draft"
    draft.refresh_from_db()
    assert (draft.status, draft.serials, draft.ordered_at) == ("draft", None, None)
    assert card_numbers("alice") == []


# --- Delivery estimate -----------------------------------------------------------------------------


def _order_on(monkeypatch, moment: datetime.datetime):
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.mark.django_db
def test_an_order_before_christmas_is_estimated_past_the_holidays(alice, operator, monkeypatch):
    _order_on(monkeypatch, datetime.datetime(2026, 12, 18, 10, 0, tzinfo=BERLIN))

    order = ordered(alice, 10, operator)

    # 18 working days, not counting 25/26 December and 1 January (without them: 13 January).
    assert order.estimated_delivery == datetime.date(2027, 1, 15)
    assert order.ordered_at == datetime.datetime(2026, 12, 18, 10, 0, tzinfo=BERLIN)


@pytest.mark.django_db
def test_the_estimate_counts_the_local_date_of_a_late_evening_order(alice, operator, monkeypatch):
    # 23:30 in Berlin on Friday 18 December is still Friday there, though 22:30 UTC.
    _order_on(monkeypatch, datetime.datetime(2026, 12, 18, 22, 30, tzinfo=datetime.UTC))

    assert ordered(alice, 10, operator).estimated_delivery == datetime.date(2027, 1, 15)


@pytest.mark.django_db
def test_the_working_days_to_delivery_are_a_setting(alice, operator, monkeypatch, settings):
    settings.PRINT_ORDER_WORKING_DAYS = 5
    _order_on(monkeypatch, datetime.datetime(2027, 3, 24, 9, 0, tzinfo=BERLIN))  # Wednesday before Easter

    # Thu 25, (Good Friday, weekend, Easter Monday), Tue 30, Wed 31 March, Thu 1, Fri 2 April.
    assert ordered(alice, 10, operator).estimated_delivery == datetime.date(2027, 4, 2)


# --- Reorder suggestion ----------------------------------------------------------------------------


def _hand_out(schema_name: str, keep_blank: int) -> None:
    with schema_context(schema_name):
        blank = Card.objects.filter(status=Card.Status.UNISSUED).order_by("number")
        Card.objects.filter(pk__in=blank.values("pk")[keep_blank:]).update(status=Card.Status.ACTIVE)


def _delivered(merchant, quantity, operator) -> PrintOrder:
    order = ordered(merchant, quantity, operator)
    for status in ("in_production", "shipped", "delivered"):
        order = print_order_advance(order=order, to_status=status, actor=operator)
    return order


@pytest.mark.django_db
def test_reorder_is_suggested_when_blank_cards_fall_below_a_fifth_of_the_last_delivery(alice, operator):
    _delivered(alice, 1_000, operator)
    _hand_out("alice", keep_blank=199)

    suggestion = reorder_suggestion(merchant=alice)

    assert suggestion is not None
    assert (suggestion["blank_cards"], suggestion["threshold"], suggestion["quantity"]) == (199, 200, 1_000)


@pytest.mark.django_db
def test_no_reorder_while_enough_blank_cards_are_left(alice, operator):
    _delivered(alice, 1_000, operator)
    _hand_out("alice", keep_blank=200)

    assert reorder_suggestion(merchant=alice) is None


@pytest.mark.django_db
def test_small_orders_still_keep_fifty_blank_cards_in_stock(alice, operator):
    _delivered(alice, 100, operator)
    _hand_out("alice", keep_blank=50)
    assert reorder_suggestion(merchant=alice) is None

    _hand_out("alice", keep_blank=49)
    assert reorder_suggestion(merchant=alice)["threshold"] == 50


@pytest.mark.django_db
def test_no_reorder_while_an_order_is_on_its_way(alice, operator):
    _delivered(alice, 1_000, operator)
    _hand_out("alice", keep_blank=10)
    assert reorder_suggestion(merchant=alice) is not None
    ordered(alice, 500, operator)
    # Its cards exist as blank ones from the order on; even if they were all handed out, the
    # order is what counts: the cards are coming.
    _hand_out("alice", keep_blank=10)

    assert reorder_suggestion(merchant=alice) is None


@pytest.mark.django_db
def test_a_merchant_that_never_ordered_is_offered_five_hundred_in_its_language(alice, bob, operator):
    _delivered(bob, 1_000, operator)  # bob's cards and orders do not count for alice

    with translation.override("de"):
        german = reorder_suggestion(merchant=alice)
    with translation.override("en"):
        english = reorder_suggestion(merchant=alice)

    assert (german["blank_cards"], german["threshold"], german["quantity"]) == (0, 50, 500)
    assert german["reason"] == "Nur noch 0 Blankokarten übrig (weniger als 50): Zeit, 500 nachzubestellen."
    assert english["reason"] == "Only 0 blank cards left (fewer than 50): time to reorder 500."
    assert reorder_suggestion(merchant=bob) is None


@pytest.mark.django_db
def test_a_merchants_orders_are_listed_newest_first_and_only_its_own(alice, bob, operator):
    older = ordered(alice, 10, operator)
    newer = print_order_create(merchant=alice, quantity=20, layout="standard", actor=operator)
    ordered(bob, 10, operator)

    assert list(print_orders_for_merchant(merchant=alice)) == [newer, older]
