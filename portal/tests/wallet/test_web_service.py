"""Apple's pass web service, as a phone calls it: register for a pass, ask which passes changed,
fetch the latest pass, unregister, post logs. A wrong token is a 401 and writes nothing; a pass
or pass type that is not there a 404; odd input a 4xx. Alice's pass opens nothing on bob's host."""
import email.utils

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Card, WalletDevice, WalletPass, WalletRegistration
from loyalty.services.bookings import booking_earn
from loyalty.wallet.passes import authentication_token
from loyalty.wallet.selectors import wallet_tag
from portal.tests.wallet.conftest import Pkpass
from tests.support.factories import ProgramFactory

pytestmark = pytest.mark.django_db

TILL = Actor(label="test")


def _rows(merchant) -> tuple[int, int]:
    with schema_context(merchant.schema_name):
        return WalletDevice.objects.count(), WalletRegistration.objects.count()


@pytest.fixture
def phone(alice, holder_of, pass_of, phone_of):
    card = holder_of(alice)
    made = phone_of(alice, pass_of(alice, card))
    made.card = card
    return made


def test_a_phone_registers_once_and_then_again_with_a_new_push_token(alice, phone):
    first = phone.register()
    again = phone.register()
    moved = phone.register(push_token="ab" * 32)

    assert (first.status_code, again.status_code, moved.status_code) == (201, 200, 200)
    with schema_context("alice"):
        registration = WalletRegistration.objects.select_related("device", "wallet_pass").get()
    assert registration.device.device_library_id == phone.device
    assert registration.device.push_token == "ab" * 32
    assert registration.wallet_pass.card_id == phone.card.pk


@pytest.mark.parametrize("authorization", ["", "ApplePass", "ApplePass wrong", "Bearer {token}", "applepass {token}",
                                           "ApplePass {other}"])
def test_a_wrong_token_is_refused_and_nothing_is_written(alice, phone, holder_of, pass_of, authorization):
    other = Pkpass(pass_of(alice, holder_of(alice, first_name="Otto")).content).pass_json["authenticationToken"]
    header = authorization.format(token=phone.token, other=other)

    responses = [phone.client.post(f"/wallet/v1/devices/{phone.device}/registrations/{phone.pass_type}/{phone.serial}",
                                   '{"pushToken": "00ff"}', content_type="application/json", HTTP_AUTHORIZATION=header),
                 phone.client.delete(f"/wallet/v1/devices/{phone.device}/registrations/{phone.pass_type}/{phone.serial}",
                                     HTTP_AUTHORIZATION=header),
                 phone.client.get(f"/wallet/v1/passes/{phone.pass_type}/{phone.serial}", HTTP_AUTHORIZATION=header)]

    assert [response.status_code for response in responses] == [401, 401, 401]
    assert all(response["Content-Type"] == "application/json" for response in responses)
    assert _rows(alice) == (0, 0)


def test_a_pass_never_handed_out_or_of_another_type_is_not_found(alice, phone, holder_of):
    never = holder_of(alice, first_name="Otto")
    with schema_context("alice"):
        token = authentication_token(never.number)

    assert phone.register(serial=never.number, token=token).status_code == 404
    assert phone.latest(serial=never.number, token=token).status_code == 404
    phone.pass_type = "pass.example.other"
    assert phone.register().status_code == 404
    assert phone.latest().status_code == 404
    assert phone.updated().status_code == 404
    assert _rows(alice) == (0, 0)


def test_the_device_lists_the_passes_changed_since_its_tag(alice, phone):
    with schema_context("alice"):
        points = ProgramFactory(kind="points")
    assert phone.updated().status_code == 404  # not registered yet: the device holds nothing here
    phone.register()

    everything = phone.updated()

    assert everything.status_code == 200
    assert everything.json()["serialNumbers"] == [phone.card.number]
    tag = everything.json()["lastUpdated"]
    with schema_context("alice"):
        assert tag == wallet_tag(WalletPass.objects.get().updated_at)
    assert phone.updated(since=tag).status_code == 204

    with schema_context("alice"):
        booking_earn(card_number=phone.card.number, program=points, purchase_amount_cents=500,
                     idempotency_key="sale", actor=TILL)

    changed = phone.updated(since=tag)
    assert changed.status_code == 200 and changed.json()["serialNumbers"] == [phone.card.number]
    assert int(changed.json()["lastUpdated"]) >= int(tag) + 1_000_000  # at least a second later


@pytest.mark.parametrize("since", ["yesterday", "-1", "1.5", "²³", "9" * 19, "0x10", ""])
def test_a_tag_we_never_handed_out_is_refused_or_ignored(alice, phone, since):
    phone.register()

    response = phone.updated(since=since)

    assert response.status_code == (200 if since == "" else 400)


def test_the_latest_pass_comes_with_last_modified_and_honours_if_modified_since(alice, phone):
    with schema_context("alice"):
        points = ProgramFactory(kind="points", name="Punkte")
    phone.register()

    latest = phone.latest()

    assert latest.status_code == 200 and latest["Content-Type"] == "application/vnd.apple.pkpass"
    assert Pkpass(latest.content).pass_json["serialNumber"] == phone.card.number
    modified = latest["Last-Modified"]
    with schema_context("alice"):
        stored = WalletPass.objects.get().updated_at
    assert email.utils.parsedate_to_datetime(modified).timestamp() == int(stored.timestamp())
    unchanged = phone.latest(HTTP_IF_MODIFIED_SINCE=modified)
    assert unchanged.status_code == 304 and unchanged.content == b""
    with schema_context("alice"):
        booking_earn(card_number=phone.card.number, program=points, purchase_amount_cents=700,
                     idempotency_key="sale", actor=TILL)

    # Even within the same second: the version moved by a whole second.
    fresh = phone.latest(HTTP_IF_MODIFIED_SINCE=modified)

    assert fresh.status_code == 200
    assert Pkpass(fresh.content).fields()[f"program-{points.pk}"]["value"] == "7 Punkte"
    assert email.utils.parsedate_to_datetime(fresh["Last-Modified"]) > email.utils.parsedate_to_datetime(modified)


def test_the_latest_pass_of_a_card_blocked_since_is_voided(alice, phone):
    phone.register()
    with schema_context("alice"):
        Card.objects.filter(pk=phone.card.pk).update(status=Card.Status.BLOCKED)

    assert Pkpass(phone.latest().content).pass_json["voided"] is True


def test_a_phone_unregisters_and_the_device_is_forgotten(alice, phone):
    phone.register()

    response = phone.unregister()

    assert response.status_code == 200
    assert _rows(alice) == (0, 0)
    with schema_context("alice"):
        assert WalletPass.objects.count() == 1  # the pass stays: the holder may add it again
    assert phone.unregister().status_code == 200  # once more: nothing to do


def test_a_device_with_another_pass_stays_registered_for_it(alice, phone, holder_of, pass_of, phone_of):
    other_card = holder_of(alice, first_name="Otto")
    other = phone_of(alice, pass_of(alice, other_card), device=phone.device)
    phone.register()
    other.register()

    phone.unregister()

    assert _rows(alice) == (1, 1)
    assert other.updated().json()["serialNumbers"] == [other_card.number]


@pytest.mark.parametrize("body", ["", "{", "[]", '{"pushToken": 5}', '{"pushToken": ""}', '{"pushToken": "a b"}',
                                  '{"pushToken": "' + "f" * 201 + '"}', "[" * 5000 + "]" * 5000, '{"other": 1}'])
def test_a_registration_without_a_proper_push_token_is_refused(alice, phone, body):
    response = phone.client.post(f"/wallet/v1/devices/{phone.device}/registrations/{phone.pass_type}/{phone.serial}",
                                 body, content_type="application/json", HTTP_AUTHORIZATION=f"ApplePass {phone.token}")

    assert response.status_code == 400
    assert _rows(alice) == (0, 0)


@pytest.mark.parametrize("device", ["a" * 101, "white space", "ümlaut", "semi;colon"])
def test_an_odd_device_identifier_is_refused(alice, phone, device):
    phone.device = device

    assert phone.register().status_code == 400
    assert phone.updated().status_code == 400
    assert phone.unregister().status_code == 400
    assert _rows(alice) == (0, 0)


def test_wrong_tokens_from_one_address_are_throttled(alice, phone):
    for _attempt in range(30):
        assert phone.register(token="wrong").status_code == 401

    assert phone.register(token="wrong").status_code == 429
    refused = phone.register()  # the right token too, until the window is over
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert _rows(alice) == (0, 0)
    cache.clear()
    assert phone.register().status_code == 201


def test_the_log_endpoint_logs_what_phones_report(alice, phone, caplog):
    response = phone.log(["Web service error for pass.x (https://example/wallet/): Response code was 401",
                          "line\nbreak" + "x" * 1000, 5])

    assert response.status_code == 200
    logged = [record.getMessage() for record in caplog.records if record.name == "stammkunde.wallet"]
    assert logged[0].endswith("Response code was 401")
    assert "\n" not in logged[1] and len(logged[1]) < 600
    assert len(logged) == 2
    assert phone.client.post("/wallet/v1/log", "{", content_type="application/json").status_code == 400
    assert phone.client.get("/wallet/v1/log").status_code == 405


def test_the_log_endpoint_takes_a_few_posts_per_address(alice, phone):
    statuses = [phone.log(["x"]).status_code for _attempt in range(31)]

    assert statuses[:30] == [200] * 30 and statuses[30] == 429


def test_alices_pass_opens_nothing_on_bobs_host(alice, bob, charlie, phone, holder_of, pass_of, phone_of):
    phone.register()
    bobs_phone = phone_of(bob, pass_of(bob, holder_of(bob, first_name="Berta")), device="b0b5", push_token="b0" * 32)
    bobs_phone.register()
    for other in (bob, charlie):
        stranger = phone.__class__(other.primary_host, device=phone.device, push_token=phone.push_token,
                                   serial=phone.serial, token=phone.token)

        assert stranger.register().status_code == 401  # alice's token means nothing at bob's
        assert stranger.latest().status_code == 401
        assert stranger.unregister().status_code == 401
        assert stranger.updated().status_code == 404  # alice's device holds nothing at bob's
        with schema_context(other.schema_name):
            token_there = authentication_token(phone.serial)
        assert stranger.latest(token=token_there).status_code == 404  # no such pass at bob's
    # Bob's phone's token is no key to alice's pass either.
    assert phone.latest(token=bobs_phone.token).status_code == 401
    assert _rows(alice) == (1, 1) and _rows(bob) == (1, 1) and _rows(charlie) == (0, 0)
