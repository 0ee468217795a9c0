"""The merchant's own fields: defining them (key from the label, fixed once made; type; choices
one per line; required; asked at registration; position), deactivating instead of deleting, every
change audited; and each type's rule for a value, in the German ways people type them."""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from loyalty.actors import Actor
from loyalty.errors import NotPermitted
from loyalty.models import AuditLog, CustomField
from loyalty.services.cardholders import (
    custom_field_create,
    custom_field_key_from,
    custom_field_set_active,
    custom_field_update,
)
from loyalty.tests.cardholders.conftest import register

pytestmark = pytest.mark.django_db


def new_field(client, **data):
    return client.post("/manage/cardholders/fields/", {"kind": "text", **data})


def test_the_owner_defines_a_field_whose_key_comes_from_the_label(owner_client, owner):
    response = new_field(owner_client, label="Größe in cm", kind="number", required="on", at_registration="on")

    assert response.status_code == 302
    field = CustomField.objects.get()
    assert (field.key, field.label, field.kind, field.required, field.at_registration, field.is_active) == (
        "groesse-in-cm", "Größe in cm", "number", True, True, True)
    entry = AuditLog.objects.get(action="custom_field.create")
    assert entry.actor_user == owner and entry.data == {"key": "groesse-in-cm", "label": "Größe in cm",
                                                        "kind": "number"}
    page = owner_client.get("/manage/cardholders/fields/").content.decode()
    assert "Größe in cm" in page and "groesse-in-cm" in page


@pytest.mark.parametrize(("label", "key"), [("Lieblingsbrot", "lieblingsbrot"), ("Kundennummer (alt)", "kundennummer-alt"),
                                            ("Straße & Nr.", "strasse-nr"), ("Café-Besuche", "cafe-besuche")])
def test_a_key_is_the_label_in_plain_letters(label, key):
    assert custom_field_key_from(label) == key


def test_a_second_field_of_the_same_name_gets_a_key_of_its_own_and_a_typed_key_is_kept(owner_client):
    new_field(owner_client, label="Lieblingsbrot")
    new_field(owner_client, label="Lieblingsbrot")
    new_field(owner_client, label="Alte Kundennummer", key="Kdnr-Alt")

    assert list(CustomField.objects.order_by("pk").values_list("key", "position")) == [
        ("lieblingsbrot", 1), ("lieblingsbrot-2", 2), ("kdnr-alt", 3)]


@pytest.mark.parametrize(("data", "message"), [
    ({"label": "Alt", "key": "lieblingsbrot"}, "Another own field has the key “lieblingsbrot” already"),
    ({"label": "Mail", "key": "email"}, "“email” is the name of a field every cardholder has"),
    ({"label": "???"}, "A key is made of letters, digits and hyphens"),
    ({"label": " "}, "This field is required."),
    ({"label": "Brot", "kind": "choice", "choices": "\n \n"}, "A selection list needs at least one choice."),
    ({"label": "Brot", "kind": "choice", "choices": "x" * 81}, "A choice may have at most 80 characters"),
    ({"label": "Brot", "kind": "colour"}, "Select a valid choice."),
])
def test_a_definition_that_does_not_fit_is_explained_next_to_its_field_and_nothing_is_made(
        owner_client, data, message):
    CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot")
    audit_before = AuditLog.objects.count()

    response = new_field(owner_client, **data)

    assert response.status_code == 200 and message in response.content.decode()
    assert CustomField.objects.count() == 1 and AuditLog.objects.count() == audit_before
    assert f'value="{data["label"].strip()}"' in response.content.decode() or not data["label"].strip()


def test_choices_are_one_per_line_trimmed_and_each_once(owner_client):
    new_field(owner_client, label="Brot", kind="choice", choices="Roggen\n  Dinkel \n\nroggen\nWeizen")

    assert CustomField.objects.get().choices == ["Roggen", "Dinkel", "Weizen"]


def test_editing_changes_label_choices_and_settings_but_never_key_or_type(owner_client):
    field = CustomField.objects.create(key="brot", label="Brot", kind="choice", choices=["Roggen"])

    response = owner_client.post(f"/manage/cardholders/fields/{field.pk}/", {
        "label": "Lieblingsbrot", "choices": "Roggen\nDinkel", "required": "on", "position": "4",
        "key": "anders", "kind": "text"})

    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.key, field.kind, field.label, field.choices, field.required, field.position) == (
        "brot", "choice", "Lieblingsbrot", ["Roggen", "Dinkel"], True, 4)
    changes = AuditLog.objects.get(action="custom_field.update").data["changes"]
    assert changes == {"label": ["Brot", "Lieblingsbrot"], "choices": [["Roggen"], ["Roggen", "Dinkel"]],
                       "required": [False, True], "position": [0, 4]}
    with pytest.raises(TypeError):
        custom_field_update(field=field, actor=Actor.system("test"), key="anders")


def test_a_deactivated_field_leaves_forms_and_filters_and_its_values_stay(owner_client, in_alice):
    field = CustomField.objects.create(key="brot", label="Lieblingsbrot", kind="choice", choices=["Roggen"])
    card = register(first_name="Anna", custom_data={"brot": "Roggen"})

    assert owner_client.post(f"/manage/cardholders/fields/{field.pk}/deactivate/").status_code == 302

    field.refresh_from_db()
    assert not field.is_active and AuditLog.objects.filter(action="custom_field.deactivate").count() == 1
    edit = owner_client.get(f"/manage/cardholders/{card.cardholder_id}/edit/").content.decode()
    listing = owner_client.get("/manage/cardholders/").content.decode()
    detail = owner_client.get(f"/manage/cardholders/{card.cardholder_id}/").content.decode()
    assert "own__brot" not in edit and f'<option value="{field.pk}">' not in listing
    assert "Roggen" in detail and "deactivated" in detail
    # Saving the person's other data keeps the value of the deactivated field.
    owner_client.post(f"/manage/cardholders/{card.cardholder_id}/edit/", {"first_name": "Anne", "language": "de"})
    card.cardholder.refresh_from_db()
    assert card.cardholder.first_name == "Anne" and card.cardholder.custom_data == {"brot": "Roggen"}

    owner_client.post(f"/manage/cardholders/fields/{field.pk}/reactivate/")
    field.refresh_from_db()
    assert field.is_active and AuditLog.objects.filter(action="custom_field.reactivate").count() == 1


def test_without_the_permissions_nothing_is_defined_changed_or_deactivated(viewer_client, viewer):
    field = CustomField.objects.create(key="brot", label="Brot")
    audit_before = AuditLog.objects.count()

    answers = [new_field(viewer_client, label="Neu"),
               viewer_client.post(f"/manage/cardholders/fields/{field.pk}/", {"label": "Anders"}),
               viewer_client.get(f"/manage/cardholders/fields/{field.pk}/"),
               viewer_client.post(f"/manage/cardholders/fields/{field.pk}/deactivate/")]

    assert [answer.status_code for answer in answers] == [403, 403, 403, 403]
    assert "Your role does not allow this." in answers[0].content.decode()
    field.refresh_from_db()
    assert (CustomField.objects.count(), field.label, field.is_active) == (1, "Brot", True)
    assert AuditLog.objects.count() == audit_before
    # The page shows the fields, without the form to add one.
    page = viewer_client.get("/manage/cardholders/fields/").content.decode()
    assert "Brot" in page and 'id="custom-field-new"' not in page
    for write in (lambda: custom_field_create(actor=Actor(user=viewer), label="X"),
                  lambda: custom_field_update(field=field, actor=Actor(user=viewer), label="X"),
                  lambda: custom_field_set_active(field=field, active=False, actor=Actor(user=viewer))):
        with pytest.raises(NotPermitted):
            write()


# --- Values ------------------------------------------------------------------------------------

def field_of(kind, **options):
    return CustomField(key="f", label="Feld", kind=kind, **options)


@pytest.mark.parametrize(("kind", "raw", "stored"), [
    ("text", "  Roggen  ", "Roggen"),
    ("number", "1.234,5", "1234.5"), ("number", "1234,5", "1234.5"), ("number", "1234.5", "1234.5"),
    ("number", "-3", "-3"), ("number", "2,00", "2"), ("number", 7, "7"),
    ("date", "31.12.1980", "1980-12-31"), ("date", "1980-12-31", "1980-12-31"), ("date", "31/12/1980", "1980-12-31"),
    ("date", datetime.date(1980, 12, 31), "1980-12-31"),
    ("choice", "dinkel", "Dinkel"),
    ("checkbox", "ja", True), ("checkbox", "Nein", False), ("checkbox", "x", True), ("checkbox", "", False),
    ("text", "", None), ("number", " ", None),
])
def test_a_value_is_stored_as_its_type_says(kind, raw, stored):
    assert field_of(kind, choices=["Roggen", "Dinkel"]).value_clean(raw) == stored


@pytest.mark.parametrize(("kind", "raw", "message"), [
    ("number", "zwölf", "“Feld” takes a number, not “zwölf”."),
    ("number", "1,2,3", "“Feld” takes a number"),
    ("date", "32.12.1980", "“Feld” takes a date like 31.12.1980, not “32.12.1980”."),
    ("date", "gestern", "“Feld” takes a date like 31.12.1980"),
    ("choice", "Weizen", "“Weizen” is not a choice of “Feld” (Roggen, Dinkel)."),
    ("checkbox", "vielleicht", "“Feld” takes yes or no, not “vielleicht”."),
    ("text", "x" * 501, "“Feld” takes at most 500 characters."),
])
def test_a_value_that_does_not_fit_its_type_is_refused_in_plain_words(kind, raw, message):
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        field_of(kind, choices=["Roggen", "Dinkel"]).value_clean(raw)
    assert refusal.value.messages == [message] or refusal.value.messages[0].startswith(message)


def test_a_required_field_needs_a_value():
    with translation.override("en"), pytest.raises(ValidationError, match="“Feld” is required."):
        field_of("text", required=True).value_clean("  ")


def test_the_persons_form_takes_own_values_in_german_formats_and_explains_a_wrong_one(owner_client, in_alice):
    CustomField.objects.create(key="haushalt", label="Personen", kind="number", position=1)
    CustomField.objects.create(key="seit", label="Kundin seit", kind="date", position=2)
    CustomField.objects.create(key="brot", label="Brot", kind="choice", choices=["Roggen", "Dinkel"], position=3)
    CustomField.objects.create(key="gluten", label="Glutenfrei", kind="checkbox", position=4)
    CustomField.objects.create(key="notiz", label="Notiz", kind="text", required=True, position=5)
    card = register(first_name="Anna")
    base = {"first_name": "Anna", "language": "de"}

    wrong = owner_client.post(f"/manage/cardholders/{card.cardholder_id}/edit/", {
        **base, "own__haushalt": "drei", "own__seit": "31.02.2015", "own__brot": "Roggen", "own__notiz": ""})
    right = owner_client.post(f"/manage/cardholders/{card.cardholder_id}/edit/", {
        **base, "own__haushalt": "1.234,5", "own__seit": "31.12.2015", "own__brot": "Dinkel",
        "own__gluten": "on", "own__notiz": "mag Kruste"})

    page = wrong.content.decode()
    assert wrong.status_code == 200
    for message in ("“Personen” takes a number, not “drei”.", "“Kundin seit” takes a date like 31.12.1980, "
                    "not “31.02.2015”.", "“Notiz” is required."):
        assert message in page
    assert 'value="drei"' in page and 'value="31.02.2015"' in page  # what was typed stays
    assert right.status_code == 302
    card.cardholder.refresh_from_db()
    assert card.cardholder.custom_data == {"haushalt": "1234.5", "seit": "2015-12-31", "brot": "Dinkel",
                                           "gluten": True, "notiz": "mag Kruste"}
    assert AuditLog.objects.filter(action="cardholder.update").count() == 1
