"""Blocking a lost card from the portal: a confirmation that says the balance stays and moves to a
replacement card from the till, then the block with its audit row; only the person's own active
card, by the one rule the page and the service share."""
import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.errors import CardNotFound, NotPermitted
from loyalty.models import AuditLog, Card
from loyalty.services.cards import card_block, card_block_refusal
from portal.tests.card.test_card_page import text_of

pytestmark = pytest.mark.django_db


def status_of(card) -> str:
    with schema_context("alice"):
        return Card.objects.get(pk=card.pk).status


def block_audits() -> list[AuditLog]:
    with schema_context("alice"):
        return list(AuditLog.objects.filter(action="card.block"))


def test_the_confirmation_explains_that_the_balance_stays_and_moves_to_a_replacement(alice, hanna, portal_client):
    page = text_of(portal_client(alice, hanna.cardholder, language="de").get(f"/card/{hanna.number}/block/"))

    assert "Ihr Guthaben bleibt erhalten" in page
    assert "An der Kasse bekommen Sie eine Ersatzkarte" in page
    assert "Karte jetzt sperren" in page
    assert status_of(hanna) == Card.Status.ACTIVE and block_audits() == []


def test_the_cardholder_blocks_their_own_card_with_an_audit_row_of_the_portal(alice, hanna, portal_client):
    client = portal_client(alice, hanna.cardholder, language="de")

    response = client.post(f"/card/{hanna.number}/block/", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302 and response["Location"] == "/card/"
    assert status_of(hanna) == Card.Status.BLOCKED
    audit = block_audits()
    assert len(audit) == 1 and audit[0].actor_label == "portal" and audit[0].address == "203.0.113.7"
    assert audit[0].object_id == str(hanna.pk) and audit[0].actor_user_id is None
    page = text_of(client.get("/card/"))
    assert "Die Karte 0009" in page and "ist gesperrt. Fragen Sie an der Kasse nach einer Ersatzkarte" in page
    assert "Diese Karte ist gesperrt" in page and "Bonuspunkte 130 Punkte" in page
    assert "Jetzt einlösbar" not in page  # nothing is redeemed on a blocked card


def test_a_card_blocked_already_offers_no_button_and_a_second_block_changes_nothing(alice, hanna, portal_client):
    with schema_context("alice"):
        card_block(card_number=hanna.number, actor=Actor(label="test"))
    client = portal_client(alice, hanna.cardholder, language="de")

    page = client.get(f"/card/{hanna.number}/block/")
    again = client.post(f"/card/{hanna.number}/block/")

    assert page.status_code == 200 and "Karte jetzt sperren" not in page.content.decode()
    assert "gesperrt" in text_of(page)
    assert again.status_code == 409 and "gesperrt" in again.content.decode()
    assert [audit.actor_label for audit in block_audits()] == ["test"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_persons_card_is_not_found_and_nothing_is_blocked(alice, hanna, holder_of, portal_client, method):
    other = holder_of(alice, first_name="Gerda")
    client = portal_client(alice, hanna.cardholder)

    response = getattr(client, method)(f"/card/{other.number}/block/")
    unknown = getattr(client, method)("/card/0009999999990/block/")

    assert response.status_code == 404 and unknown.status_code == 404
    assert other.number not in response.content.decode() and "Gerda" not in response.content.decode()
    assert status_of(other) == Card.Status.ACTIVE
    assert block_audits() == []


def test_signed_out_nobody_blocks_anything(alice, hanna, host_client):
    response = host_client(alice).post(f"/card/{hanna.number}/block/")

    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert status_of(hanna) == Card.Status.ACTIVE and block_audits() == []


def test_the_rule_lets_a_cardholder_block_only_their_own_active_card(alice, hanna, holder_of):
    other = holder_of(alice, first_name="Gerda")
    with schema_context("alice"):
        actor = Actor.for_cardholder(hanna.cardholder)
        hanna_card, others_card = Card.objects.get(pk=hanna.pk), Card.objects.get(pk=other.pk)

        assert card_block_refusal(hanna_card, actor=actor) is None
        assert isinstance(card_block_refusal(others_card, actor=actor), NotPermitted)
        # The service does not tell the cardholder whether someone else's card exists.
        with pytest.raises(CardNotFound):
            card_block(card_number=other.number, actor=actor)
        assert Card.objects.get(pk=other.pk).status == Card.Status.ACTIVE

        card_block(card_number=hanna.number, actor=actor)
        blocked = Card.objects.get(pk=hanna.pk)
        assert blocked.status == Card.Status.BLOCKED
        assert card_block_refusal(blocked, actor=actor) is not None
    assert [audit.object_id for audit in block_audits()] == [str(hanna.pk)]
