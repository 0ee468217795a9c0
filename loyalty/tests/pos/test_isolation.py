"""A till of alice's is a stranger on bob's and charlie's hosts: its device cookie and its staff
session are worthless there, and alice's cards cannot be found from their tills."""
import pytest
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, Booking
from loyalty.pos.auth import TERMINAL_COOKIE
from tests.support.clients import TillClient
from tests.support.factories import CardFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_device_cookie_and_staff_session_are_worthless_on_another_merchants_host(
        alice, shop, till_client, other, request):
    other = request.getfixturevalue(other)
    with schema_context(other.schema_name):
        their_card, their_points = CardFactory(), ProgramFactory(kind="points")
    alices_till = till_client(alice)
    assert alices_till.card(shop["card"].number).status_code == 200
    stranger = TillClient(other.primary_host)
    for name in (TERMINAL_COOKIE, "sessionid", "csrftoken"):
        stranger.cookies[name] = alices_till.cookies[name].value

    page = stranger.get("/pos/")
    sign_in_page = stranger.get("/pos/login/")
    look_up = stranger.card(their_card.number)
    booking = stranger.post("/pos/api/bookings/earn/", {"card_number": their_card.number, "program": their_points.pk,
                                                        "purchase_amount_cents": 500},
                            content_type="application/json", HTTP_IDEMPOTENCY_KEY="k",
                            HTTP_X_CSRFTOKEN=alices_till.cookies["csrftoken"].value)

    assert page["Location"] == "/pos/pair/" and sign_in_page["Location"] == "/pos/pair/"
    assert (look_up.status_code, look_up.json()["code"]) == (401, "not_authenticated")
    assert (booking.status_code, booking.json()["code"]) == (401, "not_authenticated")
    with schema_context(other.schema_name):
        assert not Booking.objects.exists()
        assert not AuditLog.objects.exists()


def test_alices_card_is_unknown_at_bobs_and_charlies_tills(alice, bob, charlie, shop, till_client):
    answers = [till_client(merchant).card(shop["card"].number) for merchant in (bob, charlie)]

    assert [(answer.status_code, answer.json()["code"]) for answer in answers] == [(404, "card_not_found")] * 2
    assert all("Bonuspunkte" not in answer.content.decode() for answer in answers)
