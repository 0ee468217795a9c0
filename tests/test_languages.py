"""Every page a person sees speaks German and English."""
import pytest

from tests.support.baseline import PASSWORD, owner_email


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "Die Kundenkarte von Alice’s Bakery"), ("en", "The customer card of Alice’s Bakery")],
)
def test_landing_page_follows_the_browser_language(language, expected, alice, host_client):
    response = host_client(alice).get("/", HTTP_ACCEPT_LANGUAGE=language)

    assert expected in response.content.decode()
    assert f'<html lang="{language}">' in response.content.decode()


@pytest.mark.django_db
def test_german_is_the_default_language(alice, host_client):
    response = host_client(alice).get("/manage/login/")

    assert "Anmelden bei Alice’s Bakery" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"), [("de", "Betreiber-Anmeldung"), ("en", "Operator sign-in")]
)
def test_operator_sign_in_in_both_languages(language, expected, operator_client):
    response = operator_client.get("/login/", HTTP_ACCEPT_LANGUAGE=language)

    assert expected in response.content.decode()


@pytest.mark.django_db
def test_language_switch_is_remembered(alice, host_client):
    client = host_client(alice)

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert "The customer card of" in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()


@pytest.mark.django_db
def test_failed_sign_in_is_explained_in_the_users_language(alice, host_client):
    client = host_client(alice)
    data = {"username": owner_email("alice"), "password": "wrong " + PASSWORD}

    german = client.post("/manage/login/", data, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = client.post("/manage/login/", data, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Bitte E-Mail-Adresse und Passwort eingeben" in german
    assert "Please enter a correct e-mail address and password" in english
