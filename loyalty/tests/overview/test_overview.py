"""The back office's overview: a new merchant's first steps until the till can book, and the day's
figures, each merchant's own."""
import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.services.bookings import booking_earn
from loyalty.services.terminals import terminal_create
from tests.support.baseline import owner_email
from tests.support.factories import CardFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


def _owner_client(merchant, host_client):
    from tenants.accounts.models import User

    client = host_client(merchant)
    with schema_context(merchant.schema_name):
        client.force_login(User.objects.get(email=owner_email(merchant.schema_name)))
    return client


def test_a_new_merchant_sees_three_open_steps_with_their_pages(alice, host_client):
    page = _owner_client(alice, host_client).get("/manage/")

    assert page.status_code == 200
    assert [(step.url_name, step.done) for step in page.context["steps"]] == [
        ("programs", False), ("staff", False), ("terminals", False)]
    body = page.content.decode()
    for path in ("/manage/programs/", "/manage/staff/", "/manage/terminals/"):
        assert f'href="{path}"' in body


def test_the_steps_are_gone_once_a_program_a_colleague_and_a_till_exist(alice, host_client):
    with schema_context("alice"):
        program, card = ProgramFactory(kind="points", name="Alices Punkte"), CardFactory()
        UserFactory(email="kasse@alice.example")
        terminal_create(name="Theke", actor=Actor(label="test"))
        booking_earn(card_number=card.number, program=program, purchase_amount_cents=1_250,
                     idempotency_key="today", actor=Actor(label="test"))

    page = _owner_client(alice, host_client).get("/manage/")

    assert page.context["steps_open"] == []
    assert "first-steps" not in page.content.decode()
    assert page.context["today"] == {"bookings": 1, "cards": 1, "purchases_cents": 1_250}
    assert "Alices Punkte" in page.content.decode()


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_programs_and_figures_are_not_on_another_merchants_overview(alice, other, host_client, request):
    with schema_context("alice"):
        program, card = ProgramFactory(kind="points", name="Alices Punkte"), CardFactory()
        booking_earn(card_number=card.number, program=program, purchase_amount_cents=500,
                     idempotency_key="alice", actor=Actor(label="test"))

    page = _owner_client(request.getfixturevalue(other), host_client).get("/manage/")

    assert "Alices Punkte" not in page.content.decode()
    assert page.context["today"]["bookings"] == 0
    assert not page.context["programs"]
