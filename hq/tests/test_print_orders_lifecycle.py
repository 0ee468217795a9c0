"""A print order's life in the console: made at any time, submitted and moved on step by step (each
step with its date and who, each change audited, the steps that cannot be undone confirmed
first), until the delivered cards run low and the reorder hint appears."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from hq.models import OperatorAuditLog, PrintOrder
from hq.printing.selectors import print_order_steps
from hq.printing.services import print_order_advance, print_order_create, print_order_submit
from loyalty.models import Card
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL, PASSWORD, owner_email
from tests.support.clients import operator_sign_in
from tests.support.languages import untranslated

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def operator():
    return User.objects.get(email=OPERATOR_EMAIL)


@pytest.fixture
def console(operator_client):
    operator_sign_in(operator_client)
    return operator_client


def _audit(order) -> list[tuple]:
    return list(OperatorAuditLog.objects.filter(object_type="hq.printorder", object_id=str(order.pk))
                .order_by("pk").values_list("action", "actor__email", "actor_label", "before", "after"))


def _blank_cards(schema_name: str) -> int:
    with schema_context(schema_name):
        return Card.objects.filter(status=Card.Status.UNISSUED).count()


def _step(console, order, to_status, language="en", **data):
    return console.post(f"/print-orders/{order.pk}/step/", {"to_status": to_status, **data},
                        HTTP_ACCEPT_LANGUAGE=language)


def test_the_console_makes_an_order_and_moves_it_through_every_status_each_change_audited(
        console, alice, operator):
    made = console.post(f"/print-orders/new/{alice.pk}/", {"quantity": 120, "layout": "standard"})
    order = PrintOrder.objects.get(merchant=alice)
    assert made.status_code == 302 and made["Location"] == f"/merchants/{alice.pk}/#print-orders"
    assert (order.status, order.quantity, order.created_by, order.requested_by) == ("draft", 120, operator, "")

    for to_status in ("ordered", "in_production", "shipped", "delivered"):
        answer = _step(console, order, to_status, confirmed="1")
        assert answer.status_code == 302, answer.content.decode()[:500]

    order.refresh_from_db()
    assert order.status == "delivered"
    assert order.ordered_at <= order.in_production_at <= order.shipped_at <= order.delivered_at <= timezone.now()
    assert (order.ordered_by, order.in_production_by, order.shipped_by, order.delivered_by) == (operator,) * 4
    assert (order.first_serial, order.last_serial) == (1, 120)
    assert _blank_cards("alice") == 120
    audit = _audit(order)
    assert [(action, email, label) for action, email, label, _before, _after in audit] == [
        ("print_order.create", OPERATOR_EMAIL, ""), ("print_order.submit", OPERATOR_EMAIL, ""),
        ("print_order.advance", OPERATOR_EMAIL, ""), ("print_order.advance", OPERATOR_EMAIL, ""),
        ("print_order.advance", OPERATOR_EMAIL, "")]
    assert [(before.get("status"), after.get("status")) for *_, before, after in audit] == [
        (None, None), ("draft", "ordered"), ("ordered", "in_production"), ("in_production", "shipped"),
        ("shipped", "delivered")]
    steps = print_order_steps(order=order)
    assert [(step.status, step.reached, step.by) for step in steps] == [
        ("draft", True, OPERATOR_EMAIL), ("ordered", True, OPERATOR_EMAIL), ("in_production", True, OPERATOR_EMAIL),
        ("shipped", True, OPERATOR_EMAIL), ("delivered", True, OPERATOR_EMAIL)]
    assert [step.at for step in steps[1:]] == [order.ordered_at, order.in_production_at, order.shipped_at,
                                               order.delivered_at]


def test_the_console_takes_an_uploaded_design(console, alice):
    console.post(f"/print-orders/new/{alice.pk}/", {"quantity": 50, "layout": "custom",
                                                    "design": SimpleUploadedFile("Entwurf.png", PNG)})

    order = PrintOrder.objects.get(merchant=alice)
    assert order.layout == "custom" and re.fullmatch(r"print-orders/alice/[0-9a-f]{32}\.png", order.design.name)


def test_a_custom_layout_without_a_design_is_refused_and_no_order_is_made(console, alice):
    answer = console.post(f"/print-orders/new/{alice.pk}/", {"quantity": 50, "layout": "custom"}, follow=True,
                          HTTP_ACCEPT_LANGUAGE="en")

    assert not PrintOrder.objects.exists()
    assert not OperatorAuditLog.objects.filter(action="print_order.create").exists()
    assert "Upload your design for a custom layout." in answer.content.decode()


@pytest.mark.parametrize("to_status", ["ordered", "delivered"])
def test_a_step_that_cannot_be_undone_is_confirmed_first_and_nothing_changes_before(
        console, alice, operator, to_status):
    order = print_order_create(merchant=alice, quantity=10, layout="standard", actor=operator)
    if to_status == "delivered":
        order = print_order_submit(order=order, actor=operator)
        for status in ("in_production", "shipped"):
            order = print_order_advance(order=order, to_status=status, actor=operator)
    before = PrintOrder.objects.values().get(pk=order.pk)
    audit_before, blank_before = len(_audit(order)), _blank_cards("alice")

    page = _step(console, order, to_status)  # the button, without the confirmation

    html = page.content.decode()
    assert page.status_code == 200 and 'name="confirmed" value="1"' in html
    assert "It cannot be undone." in html
    assert PrintOrder.objects.values().get(pk=order.pk) == before
    assert len(_audit(order)) == audit_before and _blank_cards("alice") == blank_before

    assert _step(console, order, to_status, confirmed="1").status_code == 302
    assert PrintOrder.objects.get(pk=order.pk).status == to_status


def test_the_steps_in_between_need_no_confirmation(console, alice, operator):
    order = print_order_submit(order=print_order_create(merchant=alice, quantity=10, layout="standard",
                                                        actor=operator), actor=operator)

    assert _step(console, order, "in_production").status_code == 302
    assert PrintOrder.objects.get(pk=order.pk).status == "in_production"


@pytest.mark.parametrize(("steps_done", "to_status"), [(0, "shipped"), (0, "delivered"), (1, "ordered"),
                                                       (3, "shipped"), (0, "gone")])
def test_a_skipped_or_backward_step_is_refused_and_nothing_changes(console, alice, operator, steps_done, to_status):
    order = print_order_submit(order=print_order_create(merchant=alice, quantity=10, layout="standard",
                                                        actor=operator), actor=operator)
    for status in ("in_production", "shipped", "delivered")[:steps_done]:
        order = print_order_advance(order=order, to_status=status, actor=operator)
    before, audit_before = PrintOrder.objects.values().get(pk=order.pk), _audit(order)

    answer = _step(console, order, to_status, confirmed="1")

    assert answer.status_code in (302, 400)
    assert PrintOrder.objects.values().get(pk=order.pk) == before
    assert _audit(order) == audit_before


def test_a_draft_cannot_jump_to_in_print(console, alice, operator):
    draft = print_order_create(merchant=alice, quantity=10, layout="standard", actor=operator)

    _step(console, draft, "in_production", confirmed="1")

    draft.refresh_from_db()
    assert (draft.status, draft.serials, draft.ordered_by) == ("draft", None, None)
    assert _blank_cards("alice") == 0


def test_after_delivery_with_low_stock_the_hint_shows_in_the_console_and_the_back_office(
        console, alice, operator, host_client):
    order = print_order_submit(order=print_order_create(merchant=alice, quantity=100, layout="standard",
                                                        actor=operator), actor=operator)
    for status in ("in_production", "shipped"):
        order = print_order_advance(order=order, to_status=status, actor=operator)
    with schema_context("alice"):
        blank = Card.objects.filter(status=Card.Status.UNISSUED).order_by("number")
        Card.objects.filter(pk__in=blank.values("pk")[30:]).update(status=Card.Status.ACTIVE)  # 30 left
    hint = "Only 30 blank cards left (fewer than 50): time to reorder 100."
    back_office = host_client(alice)
    back_office.post("/manage/login/", {"username": owner_email("alice"), "password": PASSWORD})

    shipped_console = console.get(f"/merchants/{alice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    shipped_back_office = back_office.get("/manage/cards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    _step(console, order, "delivered", confirmed="1")
    delivered_console = console.get(f"/merchants/{alice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    delivered_back_office = back_office.get("/manage/cards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert hint not in shipped_console and hint not in shipped_back_office  # the cards are on their way
    assert hint in delivered_console and hint in delivered_back_office
    # The back office's form suggests the same quantity.
    assert re.search(r'name="quantity" value="100"', delivered_back_office)


def test_the_merchant_page_lists_the_orders_steps_with_dates_and_who(console, alice, operator):
    order = print_order_submit(order=print_order_create(merchant=alice, quantity=10, layout="standard",
                                                        actor=operator), actor=operator)
    order = print_order_advance(order=order, to_status="in_production", actor=operator)

    german = console.get(f"/merchants/{alice.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = console.get(f"/merchants/{alice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    day = timezone.localtime(order.in_production_at)
    assert f'<span class="print-step-when">{day:%d.%m.%Y}</span>' in german
    assert f'<span class="print-step-when">{day:%d/%m/%Y}</span>' in english
    assert "Im Druck" in german and "In print" in english
    assert german.count(f'<span class="print-step-who">{OPERATOR_EMAIL}</span>') == 3  # draft, ordered, in print
    assert "Als versandt markieren" in german and "Mark as shipped" in english
    section = lambda html: html[html.index('<section class="print-orders"'):html.index("</section>", html.index(  # noqa: E731
        '<section class="print-orders"'))]
    assert untranslated(section(english), section(german), data=[
        OPERATOR_EMAIL, order.first_card_number, order.last_card_number, "Layout"]) == set()
