"""Finding a cardholder on the list: by part of a name whatever its case and accents, by card
number, e-mail address and phone, through the page's search box."""
import pytest

from loyalty.services.cardholders import cardholders_find
from loyalty.tests.cardholders.conftest import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(in_alice):
    return {
        "mueller": register(first_name="Jürgen", last_name="Müller", email="juergen.mueller@example.com",
                            phone="0171 2345678"),
        "jose": register(first_name="José", last_name="García", email="jose@example.com"),
        "schaefer": register(first_name="Sophie", last_name="Schäfer", phone="030 7654321"),
        "weber": register(first_name="Marie", last_name="Weber", email="marie@example.com"),
    }


def found(query) -> set[int]:
    return set(cardholders_find(query).cardholders.values_list("pk", flat=True))


def listed(client, query) -> set[int]:
    response = client.get("/manage/cardholders/", {"q": query})
    assert response.status_code == 200
    return {row["cardholder"].pk for row in response.context["rows"]}


@pytest.mark.parametrize("query", ["müll", "MUELL", "Muller", "Müller", "mueller", "jürgen müll", "ülle"])
def test_searching_by_part_of_a_surname_finds_the_cardholder_regardless_of_case_and_accents(
        people, owner_client, query):
    mueller = people["mueller"].cardholder_id

    assert found(query) == {mueller}
    assert listed(owner_client, query) == {mueller}


@pytest.mark.parametrize(("query", "who"), [("Jose", "jose"), ("josé", "jose"), ("GARCIA", "jose"),
                                            ("Schafer", "schaefer"), ("schaef", "schaefer"), ("we", "weber")])
def test_accents_and_umlauts_need_not_be_typed(people, query, who):
    assert found(query) == {people[who].cardholder_id}


@pytest.mark.parametrize("query", ["Meier", "Müllerin", "xyz", "Jürgen Weber"])
def test_a_name_nobody_has_finds_nobody(people, owner_client, query):
    assert found(query) == set()
    assert listed(owner_client, query) == set()
    page = owner_client.get("/manage/cardholders/", {"q": query}).content.decode()
    assert 'id="no-match"' in page and "juergen.mueller@example.com" not in page


def test_a_card_number_finds_its_holder_in_full_and_by_its_beginning(people, owner_client):
    card = people["weber"]

    assert listed(owner_client, card.number) == {card.cardholder_id}
    assert listed(owner_client, f" {card.number[:4]} {card.number[4:]} ") == {card.cardholder_id}
    # The first digits of every test card are alike: a beginning finds all who share it.
    assert card.cardholder_id in found(card.number[:6])
    assert listed(owner_client, "9999999999999") == set()


def test_an_email_address_finds_its_holder_however_it_is_typed(people, owner_client):
    assert listed(owner_client, "Juergen.Mueller@Example.COM ") == {people["mueller"].cardholder_id}
    assert listed(owner_client, "nobody@example.com") == set()


def test_a_phone_number_finds_its_holder_however_it_is_typed(people, owner_client):
    assert listed(owner_client, "+49 171 2345678") == {people["mueller"].cardholder_id}
    assert listed(owner_client, "0171/2345678") == {people["mueller"].cardholder_id}
    assert listed(owner_client, "(030) 765 4321") == {people["schaefer"].cardholder_id}
    assert listed(owner_client, "0171 0000000") == set()


def test_a_name_too_many_people_share_finds_the_newest_and_says_the_list_is_incomplete(people):
    newer = [register(first_name="Hans", last_name=f"Müller{index}").cardholder_id for index in range(3)]

    few = cardholders_find("müll", candidates=2)
    enough = cardholders_find("müll", candidates=10)

    assert few.incomplete and set(few.cardholders.values_list("pk", flat=True)) == set(newer[1:])
    assert not enough.incomplete
    assert set(enough.cardholders.values_list("pk", flat=True)) == {*newer, people["mueller"].cardholder_id}
