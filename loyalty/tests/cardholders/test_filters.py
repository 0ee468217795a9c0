"""The list's filters: program, last visit, consent and own fields, each in SQL; the page costs
the same number of queries however many people are on it."""
import datetime

import pytest
from django.utils import timezone

from loyalty.actors import Actor
from loyalty.models import Consent, CustomField
from loyalty.selectors_cardholders import cardholders_all, cardholders_filter
from loyalty.services import bookings
from loyalty.services.cardholders import cardholder_update, consent_record
from loyalty.tests.cardholders.conftest import register

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def listed(client, **filters) -> set[int]:
    response = client.get("/manage/cardholders/", filters)
    assert response.status_code == 200
    assert not response.context["form"].errors, response.context["form"].errors
    return {row["cardholder"].pk for row in response.context["rows"]}


def earn(card, program, key):
    bookings.booking_earn(card_number=card.number, program=program, purchase_amount_cents=1_000,
                          idempotency_key=key, actor=SYSTEM)


def test_program_finds_who_has_an_account_in_it(owner_client, in_alice, points, stamps):
    collector, other = register(first_name="Anna"), register(first_name="Ben")
    earn(collector, points, "a")
    bookings.booking_stamp(card_number=other.number, program=stamps, idempotency_key="b", actor=SYSTEM)

    assert listed(owner_client, program=points.pk) == {collector.cardholder_id}
    assert listed(owner_client, program=stamps.pk) == {other.cardholder_id}


def test_last_visit_counts_purchases_and_not_the_systems_own_bookings(owner_client, in_alice, points):
    today, never, corrected = register(first_name="Heute"), register(first_name="Nie"), register(first_name="Korrigiert")
    earn(today, points, "t")
    bookings.booking_adjust(card_number=corrected.number, program=points, amount=5, reason="goodwill",
                            idempotency_key="c", actor=SYSTEM)

    assert listed(owner_client, visit="30") == {today.cardholder_id}
    assert listed(owner_client, visit="none-90") == {never.cardholder_id, corrected.cardholder_id}


def test_a_visit_leaves_the_window_after_its_days_and_then_counts_as_no_visit(in_alice, points):
    visitor = register(first_name="Vera")
    earn(visitor, points, "v")
    in_40_days = timezone.now() + datetime.timedelta(days=40)
    in_100_days = timezone.now() + datetime.timedelta(days=100)

    def found(**filters):
        return set(cardholders_filter(cardholders_all(), **filters).values_list("pk", flat=True))

    assert found(visited_within_days=30, now=in_40_days) == set()
    assert found(visited_within_days=90, now=in_40_days) == {visitor.cardholder_id}
    assert found(not_visited_for_days=90, now=in_40_days) == set()
    assert found(not_visited_for_days=90, now=in_100_days) == {visitor.cardholder_id}
    assert found(visited_within_days=365, now=in_100_days) == {visitor.cardholder_id}


def test_consent_is_the_latest_choice_per_purpose(owner_client, in_alice):
    granted, withdrawn, never = register(first_name="Ja"), register(first_name="Zurück"), register(first_name="Nie")
    consent_record(cardholder=granted.cardholder, purpose="newsletter", granted=True, source="till", actor=SYSTEM)
    consent_record(cardholder=withdrawn.cardholder, purpose="newsletter", granted=True, source="till", actor=SYSTEM)
    consent_record(cardholder=withdrawn.cardholder, purpose="newsletter", granted=False, source="portal",
                   actor=SYSTEM)
    consent_record(cardholder=never.cardholder, purpose=Consent.Purpose.SMS, granted=True, source="till",
                   actor=SYSTEM)

    assert listed(owner_client, consent="newsletter:yes") == {granted.cardholder_id}
    assert listed(owner_client, consent="newsletter:no") == {withdrawn.cardholder_id, never.cardholder_id}
    assert listed(owner_client, consent="sms:yes") == {never.cardholder_id}


@pytest.fixture
def own_fields(in_alice):
    return {
        "bread": CustomField.objects.create(key="brot", label="Brot", kind="choice", choices=["Roggen", "Dinkel"]),
        "size": CustomField.objects.create(key="haushalt", label="Haushalt", kind="number"),
        "since": CustomField.objects.create(key="seit", label="Seit", kind="date"),
        "gluten": CustomField.objects.create(key="glutenfrei", label="Glutenfrei", kind="checkbox"),
    }


def with_values(own_fields, first_name, **raw):
    card = register(first_name=first_name)
    data = {own_fields[name].key: own_fields[name].value_clean(value) for name, value in raw.items()}
    cardholder_update(cardholder=card.cardholder, actor=SYSTEM, custom_data=data)
    return card.cardholder_id


def test_an_own_field_finds_who_has_the_value_as_typed_in_german(owner_client, own_fields):
    anna = with_values(own_fields, "Anna", bread="Roggen", size="1234.5", since="1980-12-31", gluten=True)
    ben = with_values(own_fields, "Ben", bread="Dinkel", size="2", since="01.01.1990", gluten=False)
    fields = {name: field.pk for name, field in own_fields.items()}

    assert listed(owner_client, field=fields["bread"], value="roggen") == {anna}
    assert listed(owner_client, field=fields["bread"], value="Dinkel") == {ben}
    assert listed(owner_client, field=fields["size"], value="1.234,5") == {anna}
    assert listed(owner_client, field=fields["size"], value="3") == set()
    assert listed(owner_client, field=fields["since"], value="31.12.1980") == {anna}
    assert listed(owner_client, field=fields["gluten"], value="ja") == {anna}
    assert listed(owner_client, field=fields["gluten"], value="nein") == {ben}


def test_a_value_that_does_not_fit_the_field_is_explained_and_lists_nobody(owner_client, own_fields):
    with_values(own_fields, "Anna", bread="Roggen")

    response = owner_client.get("/manage/cardholders/", {"field": own_fields["bread"].pk, "value": "Weizen"})
    no_value = owner_client.get("/manage/cardholders/", {"field": own_fields["size"].pk})
    no_field = owner_client.get("/manage/cardholders/", {"value": "Roggen"})

    assert response.context["rows"] == [] and "is not a choice of “Brot” (Roggen, Dinkel)" in response.content.decode()
    assert "Please type the value to look for in “Haushalt”." in no_value.content.decode()
    assert "Please pick the own field to look in." in no_field.content.decode()


def test_filters_combine_with_the_search(owner_client, in_alice, points):
    buyer, namesake = register(first_name="Jürgen", last_name="Müller"), register(first_name="Eva", last_name="Müller")
    earn(buyer, points, "m")

    assert listed(owner_client, q="müller", visit="30") == {buyer.cardholder_id}
    assert listed(owner_client, q="müller", visit="none-90") == {namesake.cardholder_id}


def _make_people(count, points, own_field):
    for index in range(count):
        card = register(first_name=f"Kundin{index}", last_name="Muster", email=f"k{index}@example.com")
        earn(card, points, f"q-{index}")
        consent_record(cardholder=card.cardholder, purpose="newsletter", granted=True, source="till", actor=SYSTEM)
        cardholder_update(cardholder=card.cardholder, actor=SYSTEM, custom_data={own_field.key: "Roggen"})


# The user, the filters' choices (validated and shown), the count, the page and its cards; a search
# adds its look-up of the candidates.
QUERIES = {False: 8, True: 9}


@pytest.mark.parametrize("count", [3, 60])
def test_the_list_costs_the_same_queries_however_many_people_are_on_its_page(
        owner_client, in_alice, points, count, django_assert_max_num_queries):
    bread = CustomField.objects.create(key="brot", label="Brot", kind="choice", choices=["Roggen"])
    _make_people(count, points, bread)
    filters = {"program": points.pk, "visit": "30", "consent": "newsletter:yes", "field": bread.pk,
               "value": "Roggen"}
    on_page = min(count, 50)

    for query, rows in (({}, on_page), (filters, on_page), ({**filters, "q": "muster"}, on_page),
                        ({"q": "kundin0"}, 1), ({"q": "k1@example.com"}, 1)):
        with django_assert_max_num_queries(QUERIES[bool(query.get("q"))]):
            response = owner_client.get("/manage/cardholders/", query)
        assert len(response.context["rows"]) == rows, query

