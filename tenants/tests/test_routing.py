"""Each host leads to exactly one place; a host that is no merchant's answers 404."""
import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "host",
    ["nobody.stammkunde.localhost", "evil.example", "127.0.0.1", "alice.stammkunde.localhost.evil",
     "alice", "bad host name", "stammkunde.localhost@alice"],
)
def test_unknown_host_answers_a_plain_404(host, host_client, alice):
    response = host_client(host).get("/")

    assert response.status_code == 404
    body = response.content.decode()
    assert alice.name not in body
    assert "Stammkunde" not in body


@pytest.mark.django_db
def test_each_merchant_host_shows_its_own_landing_page(alice, bob, host_client):
    alice_page = host_client(alice).get("/").content.decode()
    bob_page = host_client(bob).get("/").content.decode()

    assert alice.name in alice_page and bob.name not in alice_page
    assert bob.name in bob_page and alice.name not in bob_page


@pytest.mark.django_db
def test_merchant_host_does_not_serve_the_operator_console(alice, host_client):
    response = host_client(alice).get("/login/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_apex_host_serves_the_operator_and_no_merchant_pages(operator_client):
    assert operator_client.get("/login/").status_code == 200
    assert operator_client.get("/manage/").status_code == 404
