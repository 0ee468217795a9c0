"""Which merchant a host leads to is kept per process, and a change of a merchant's row or of a
domain is seen: at once in the process that made it, after the next version check elsewhere."""
import pytest
from django.core.cache import caches

from tenants import routing
from tenants.models import ContractStatus, Domain, Merchant
from tenants.routing import merchants_changed

pytestmark = pytest.mark.django_db


def test_the_host_look_up_is_kept_and_a_change_here_is_seen_at_once(alice, host_client):
    client = host_client(alice)
    assert client.get("/pos/login/", follow=True).status_code == 200
    Merchant.objects.filter(pk=alice.pk).update(contract_status=ContractStatus.ENDED)

    kept = routing.merchant_for_host(alice.primary_host, load=lambda host: pytest.fail("asked again"))
    merchants_changed()
    reread = routing.merchant_for_host(alice.primary_host,
                                       load=lambda host: Domain.objects.get(domain=host).tenant)

    assert (kept.contract_status, reread.contract_status) == (ContractStatus.ACTIVE, ContractStatus.ENDED)


def test_another_processs_change_is_seen_after_the_version_check(alice, monkeypatch):
    load = lambda host: Domain.objects.get(domain=host).tenant  # noqa: E731
    assert routing.merchant_for_host(alice.primary_host, load=load).name == alice.name
    Merchant.objects.filter(pk=alice.pk).update(name="Alice’s New Bakery")
    caches["shared"].set("tenants:routing-version", "changed elsewhere", timeout=None)

    within_the_second = routing.merchant_for_host(alice.primary_host, load=load).name
    monkeypatch.setattr(routing, "VERSION_CHECK_SECONDS", 0)
    after_the_check = routing.merchant_for_host(alice.primary_host, load=load).name

    assert (within_the_second, after_the_check) == (alice.name, "Alice’s New Bakery")


def test_an_unknown_host_is_asked_for_each_time_so_a_new_domain_works_at_once(alice, host_client):
    assert host_client("karte.alice-baeckerei.example").get("/").status_code == 404

    Domain.objects.create(domain="karte.alice-baeckerei.example", tenant=alice, is_primary=False)

    assert host_client("karte.alice-baeckerei.example").get("/").status_code == 200


def test_each_request_gets_a_copy_of_its_merchant(alice):
    load = lambda host: Domain.objects.get(domain=host).tenant  # noqa: E731

    first = routing.merchant_for_host(alice.primary_host, load=load)
    first.domain_url = "set by one request"
    second = routing.merchant_for_host(alice.primary_host, load=load)

    assert first is not second and getattr(second, "domain_url", None) != "set by one request"
