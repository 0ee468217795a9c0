"""A pass is refreshed after a booking, the whole way: a booking at the till marks the card's pass
as changed; once it is committed, the real Celery worker pushes to Apple (a fake on 127.0.0.1)
once per phone registered for it, with the pass type as the topic; the phone then finds the pass
among the changed ones and fetches it with the new balance. A device Apple no longer knows (410) is
forgotten. Bob's phones never hear of alice's bookings."""
import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import WalletDevice, WalletRegistration
from loyalty.services.bookings import booking_earn
from portal.tests.wallet.conftest import Pkpass
from tests.support.concurrency import wait_until
from tests.support.factories import ProgramFactory

TILL = Actor(label="test")
ALICES_PHONES = {"a11ce0001": "a1" * 32, "a11ce0002": "a2" * 32}
BOBS_PHONE = ("b0b000001", "b0" * 32)


def _earn(merchant, card, program, key: str, cents: int = 1_000):
    with schema_context(merchant.schema_name):
        return booking_earn(card_number=card.number, program=program, purchase_amount_cents=cents,
                            idempotency_key=key, actor=TILL)


@pytest.fixture
def shops(committed, alice, bob, holder_of, pass_of, phone_of):
    """Alice's cardholder with her pass on two phones, bob's with his on one; a points program each."""
    with schema_context("alice"):
        alices_points = ProgramFactory(kind="points", name="Punkte")
    with schema_context("bob"):
        bobs_points = ProgramFactory(kind="points", name="Punkte")
    alices_card, bobs_card = holder_of(alice), holder_of(bob, first_name="Berta")
    alices_pass, bobs_pass = pass_of(alice, alices_card), pass_of(bob, bobs_card)
    phones = [phone_of(alice, alices_pass, device=device, push_token=token) for device, token in ALICES_PHONES.items()]
    bobs_phone = phone_of(bob, bobs_pass, device=BOBS_PHONE[0], push_token=BOBS_PHONE[1])
    for phone in [*phones, bobs_phone]:
        assert phone.register().status_code == 201
    tags = {phone.device: phone.updated().json()["lastUpdated"] for phone in [*phones, bobs_phone]}
    return {"alice": (alices_card, alices_points, phones), "bob": (bobs_card, bobs_points, bobs_phone),
            "tags": tags}


def test_after_a_booking_each_registered_phone_is_pushed_once_and_fetches_the_new_balance(
        shops, celery_worker, fake_apns, alice, bob):
    card, points, phones = shops["alice"]
    bobs_card, bobs_points, bobs_phone = shops["bob"]

    _earn(alice, card, points, "alices-sale", cents=1_250)

    assert wait_until(lambda: len(fake_apns.pushes) == 2, timeout=30), fake_apns.pushes
    # Bob's booking after alice's: once its push is there, the worker is done with alice's task.
    _earn(bob, bobs_card, bobs_points, "bobs-sale")
    assert wait_until(lambda: len(fake_apns.pushes) == 3, timeout=30), fake_apns.pushes
    for phone in phones:
        pushes = fake_apns.pushes_to(phone.push_token)
        assert len(pushes) == 1
        assert pushes[0].path == f"/3/device/{phone.push_token}"
        assert pushes[0].topic == settings.WALLET_PASS_TYPE_ID and pushes[0].body == b"{}"
        changed = phone.updated(since=shops["tags"][phone.device])
        assert changed.status_code == 200 and changed.json()["serialNumbers"] == [card.number]
        fresh = Pkpass(phone.latest().content)
        assert fresh.fields()[f"program-{points.pk}"]["value"] == "12 Punkte"
    assert len(fake_apns.pushes_to(bobs_phone.push_token)) == 1  # for bob's own booking only
    # Bob's phone sees nothing of alice's card.
    bobs_changes = bobs_phone.updated(since=shops["tags"][bobs_phone.device]).json()["serialNumbers"]
    assert bobs_changes == [bobs_card.number]


def test_a_booking_on_a_card_without_a_pass_pushes_nothing(shops, celery_worker, fake_apns, alice, bob, holder_of):
    _card, points, _phones = shops["alice"]
    bobs_card, bobs_points, _bobs_phone = shops["bob"]
    without = holder_of(alice, first_name="Otto")

    _earn(alice, without, points, "no-pass")
    _earn(bob, bobs_card, bobs_points, "marker")  # its push comes after anything alice's booking queued

    assert wait_until(lambda: len(fake_apns.pushes) == 1, timeout=30)
    assert [push.token for push in fake_apns.pushes] == [BOBS_PHONE[1]]


def test_a_device_apple_no_longer_knows_is_forgotten(shops, celery_worker, fake_apns, alice):
    card, points, phones = shops["alice"]
    gone, staying = phones
    fake_apns.answers[gone.push_token] = 410

    _earn(alice, card, points, "first")

    def forgotten():
        with schema_context("alice"):
            return not WalletDevice.objects.filter(device_library_id=gone.device).exists()

    assert wait_until(forgotten, timeout=30)
    with schema_context("alice"):
        assert list(WalletRegistration.objects.values_list("device__device_library_id", flat=True)) == [staying.device]
    assert gone.updated().status_code == 404
    _earn(alice, card, points, "second")
    assert wait_until(lambda: len(fake_apns.pushes_to(staying.push_token)) == 2, timeout=30)
    assert len(fake_apns.pushes_to(gone.push_token)) == 1
