"""A merchant's rows never reach another merchant: not by host, session, task or cache."""
import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from loyalty.models import Card
from tests.support.baseline import PASSWORD, owner_email
from tests.support.factories import CardFactory


def _signed_in(host_client, merchant):
    client = host_client(merchant)
    response = client.post(
        "/manage/login/", {"username": owner_email(merchant.schema_name), "password": PASSWORD}
    )
    assert response.status_code == 302, response.content
    return client


@pytest.mark.django_db
def test_card_of_alice_is_invisible_on_bobs_host_and_session(alice, bob, charlie, host_client):
    with schema_context(alice.schema_name):
        card = CardFactory()

    alice_page = _signed_in(host_client, alice).get("/manage/")
    bob_page = _signed_in(host_client, bob).get("/manage/")
    charlie_page = _signed_in(host_client, charlie).get("/manage/")

    assert alice_page.context["card_counts"]["active"] == 1
    assert bob_page.context["card_counts"]["active"] == 0
    assert charlie_page.context["card_counts"]["active"] == 0
    with schema_context(bob.schema_name):
        assert not Card.objects.filter(number=card.number).exists()
    with schema_context(charlie.schema_name):
        assert Card.objects.count() == 0


def test_celery_task_queued_in_bobs_context_sees_only_bobs_rows(committed, celery_worker, alice, bob):
    from tests.support.tasks import card_numbers_visible

    with schema_context(alice.schema_name):
        alice_card = CardFactory()
    with schema_context(bob.schema_name):
        bob_card = CardFactory()
        seen_by_bob = card_numbers_visible.delay().get(timeout=30)
    with schema_context(alice.schema_name):
        seen_by_alice = card_numbers_visible.delay().get(timeout=30)

    assert seen_by_bob == {"schema": "bob", "numbers": [bob_card.number]}
    assert seen_by_alice == {"schema": "alice", "numbers": [alice_card.number]}


@pytest.mark.django_db
def test_cache_entry_under_alices_key_is_invisible_under_bobs(alice, bob):
    with schema_context(alice.schema_name):
        cache.set("card:0000000000018", "Anna")
    with schema_context(bob.schema_name):
        assert cache.get("card:0000000000018") is None
        cache.set("card:0000000000018", "Bernd")
    with schema_context(alice.schema_name):
        assert cache.get("card:0000000000018") == "Anna"
    with schema_context(bob.schema_name):
        assert cache.get("card:0000000000018") == "Bernd"
