"""“Karten nachbestellen” in the merchant's back office: the owner and managers ask for cards (the
operator gets an e-mail, the order says who asked), see their orders with status and dates, and
nothing of another merchant's; cashiers get 403 and make no order."""
import pytest
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from hq.models import OperatorAuditLog, PrintFile, PrintOrder
from hq.printing.services import print_order_advance, print_order_create, print_order_submit
from loyalty.pos.services import cashier_group
from loyalty.roles import BUILT_IN_ROLES, MANAGER, role_group
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL, PASSWORD, owner_email
from tests.support.factories import UserFactory
from tests.support.languages import untranslated

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def signed_in(host_client, merchant, email=None):
    client = host_client(merchant)
    answer = client.post("/manage/login/", {"username": email or owner_email(merchant.schema_name),
                                            "password": PASSWORD})
    assert answer.status_code == 302, answer.content.decode()[:300]
    return client


def staff_member(merchant, email, group):
    with schema_context(merchant.schema_name):
        user = UserFactory(email=email, full_name="Mia Muster")
        user.groups.add(group())
        return user


def _operator():
    return User.objects.get(email=OPERATOR_EMAIL)


def test_the_owner_asks_for_cards_and_the_operator_is_told(host_client, alice, django_capture_on_commit_callbacks):
    client = signed_in(host_client, alice)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/manage/cards/", {"quantity": 750, "layout": "standard"})

    assert answer.status_code == 302 and answer["Location"] == "/manage/cards/"
    order = PrintOrder.objects.get()
    assert (order.merchant, order.quantity, order.status, order.requested_by, order.created_by) == (
        alice, 750, "draft", owner_email("alice"), None)
    audit = OperatorAuditLog.objects.get(action="print_order.request")
    assert (audit.merchant, audit.actor, audit.actor_label) == (alice, None, owner_email("alice"))
    assert audit.after == {"quantity": 750, "layout": "standard", "design": False,
                           "requested_by": owner_email("alice")}
    [message] = mail.outbox
    assert message.to == [settings.OPERATOR_EMAIL]
    assert "Alice’s Bakery" in message.subject and "750" in message.subject
    assert owner_email("alice") in message.body and f"#{order.pk}" in message.body


def test_the_owner_sends_an_own_design(host_client, alice):
    client = signed_in(host_client, alice)

    client.post("/manage/cards/", {"quantity": 100, "layout": "custom", "design": SimpleUploadedFile("karte.png", PNG)})

    order = PrintOrder.objects.get()
    assert order.layout == "custom" and order.design.name.startswith("print-orders/alice/")


@pytest.mark.parametrize("data", [
    {"quantity": 10, "layout": "standard"},  # fewer than a sheet's worth
    {"quantity": 100_001, "layout": "standard"},
    {"quantity": 100, "layout": "custom"},  # no design
    {"quantity": 100, "layout": "gold"},
])
def test_a_request_the_form_refuses_makes_no_order_and_no_mail(host_client, alice, data,
                                                               django_capture_on_commit_callbacks):
    client = signed_in(host_client, alice)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/manage/cards/", data)

    assert answer.status_code == 400
    assert not PrintOrder.objects.exists() and mail.outbox == []
    assert not OperatorAuditLog.objects.filter(action="print_order.request").exists()


def test_a_manager_may_ask_for_cards(host_client, alice):
    staff_member(alice, "leitung@alice.example", lambda: role_group(BUILT_IN_ROLES[MANAGER]))
    client = signed_in(host_client, alice, "leitung@alice.example")

    assert client.get("/manage/cards/").status_code == 200
    client.post("/manage/cards/", {"quantity": 200, "layout": "standard"})

    assert PrintOrder.objects.get().requested_by == "leitung@alice.example"


def test_a_cashier_gets_403_and_no_order_is_made(host_client, alice, django_capture_on_commit_callbacks):
    staff_member(alice, "kasse@alice.example", cashier_group)
    client = signed_in(host_client, alice, "kasse@alice.example")

    with django_capture_on_commit_callbacks(execute=True):
        page = client.get("/manage/cards/")
        request = client.post("/manage/cards/", {"quantity": 200, "layout": "standard"})

    assert (page.status_code, request.status_code) == (403, 403)
    assert not PrintOrder.objects.exists() and mail.outbox == []
    assert "/manage/cards/" not in client.get("/manage/", follow=True).content.decode()


def test_the_owner_sees_the_orders_with_status_and_dates_in_german_and_english(host_client, alice, bob):
    operator = _operator()
    order = print_order_submit(order=print_order_create(merchant=alice, quantity=300, layout="standard",
                                                        actor=operator), actor=operator)
    order = print_order_advance(order=order, to_status="in_production", actor=operator)
    asked = PrintOrder.objects.create(merchant=alice, quantity=600, layout="standard", requested_by="owner@alice.example")
    print_order_create(merchant=bob, quantity=4321, layout="standard", actor=operator)
    client = signed_in(host_client, alice)

    german = client.get("/manage/cards/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = client.get("/manage/cards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    in_print = timezone.localtime(order.in_production_at)
    assert f"{in_print:%d.%m.%Y}" in german and f"{in_print:%d/%m/%Y}" in english
    assert f"{order.estimated_delivery:%d.%m.%Y}" in german
    assert "Im Druck" in german and "In print" in english
    assert "angefragt, wird geprüft" in german and "asked for, being checked" in english
    assert f"#{asked.pk}" in german and f"#{order.pk}" in german
    assert "4321" not in german and "4.321" not in german and "4,321" not in english  # bob's order
    assert untranslated(english, german, data=[alice.name, owner_email("alice"), order.first_card_number,
                                               order.last_card_number, "Layout"]) == set()


def _stored_file(order, part=1, content=b"%PDF-1.7 alice's cards"):
    print_file = PrintFile(order=order, part=part, size=len(content))
    print_file.file.save("1.pdf", ContentFile(content), save=False)
    print_file.save()
    return print_file


def test_the_owner_downloads_the_print_file_of_an_own_order_by_its_name(host_client, alice):
    operator = _operator()
    order = print_order_submit(order=print_order_create(merchant=alice, quantity=5, layout="standard",
                                                        actor=operator), actor=operator)
    _stored_file(order)
    client = signed_in(host_client, alice)

    answer = client.get(f"/manage/cards/{order.pk}/files/1.pdf", HTTP_ACCEPT_LANGUAGE="de")

    assert answer.status_code == 200 and b"".join(answer.streaming_content) == b"%PDF-1.7 alice's cards"
    assert answer["Content-Disposition"] == (
        "attachment; filename*=utf-8''Alice%E2%80%99s%20Bakery%20%E2%80%93%205%20Karten%20%E2%80%93%20"
        "Teil%201%20von%201.pdf")


def test_alices_owner_gets_nothing_of_bobs_or_charlies_orders(host_client, alice, bob, charlie,
                                                              django_capture_on_commit_callbacks):
    operator = _operator()
    theirs = []
    for merchant in (bob, charlie):
        order = print_order_submit(order=print_order_create(merchant=merchant, quantity=7, layout="standard",
                                                            actor=operator), actor=operator)
        _stored_file(order, content=b"%PDF-1.7 " + merchant.schema_name.encode())
        theirs.append(order)
    client = signed_in(host_client, alice)

    listed = client.get("/manage/cards/").content.decode()
    downloads = [client.get(f"/manage/cards/{order.pk}/files/1.pdf") for order in theirs]

    assert all(f"#{order.pk}" not in listed for order in theirs)
    assert [answer.status_code for answer in downloads] == [404, 404]
    assert all(b"%PDF" not in answer.content for answer in downloads)
    # Alice's session on bob's host is nobody's there: no page, no order for bob.
    on_bobs_host = host_client(bob)
    on_bobs_host.cookies = client.cookies
    with django_capture_on_commit_callbacks(execute=True):
        refused = on_bobs_host.post("/manage/cards/", {"quantity": 500, "layout": "standard"})
        refused_file = on_bobs_host.get(f"/manage/cards/{theirs[0].pk}/files/1.pdf")
    assert refused.status_code == 302 and refused["Location"].startswith("/manage/login/")
    assert refused_file.status_code == 302
    assert PrintOrder.objects.filter(requested_by__gt="").count() == 0 and mail.outbox == []
