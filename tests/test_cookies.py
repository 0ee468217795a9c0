"""Cookies are host-only, and a session from one merchant is worthless on another's host."""
import pytest

from tests.support.baseline import PASSWORD, owner_email


@pytest.mark.django_db
def test_session_cookie_from_alices_host_is_not_accepted_on_bobs_host(alice, bob, host_client):
    alice_client = host_client(alice)
    response = alice_client.post(
        "/manage/login/", {"username": owner_email("alice"), "password": PASSWORD}
    )
    assert response.status_code == 302
    session_cookie = alice_client.cookies["sessionid"]
    assert alice_client.get("/manage/").status_code == 200

    bob_client = host_client(bob)
    bob_client.cookies["sessionid"] = session_cookie.value
    response = bob_client.get("/manage/")

    assert response.status_code == 302
    assert response["Location"].startswith("/manage/login/")
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_session_and_csrf_cookies_name_no_domain(alice, host_client):
    client = host_client(alice)
    login_page = client.get("/manage/login/")
    response = client.post(
        "/manage/login/", {"username": owner_email("alice"), "password": PASSWORD}
    )

    csrf_cookie = login_page.cookies["csrftoken"]
    session_cookie = response.cookies["sessionid"]
    assert csrf_cookie["domain"] == ""
    assert session_cookie["domain"] == ""
    assert session_cookie["httponly"] is True
    assert "Domain=" not in session_cookie.output()
