"""alice's cardholders and own fields never appear in bob's or charlie's back office: not on the
list, not in a search, not by id; and nothing of theirs is changed from there."""
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, Cardholder, CustomField
from loyalty.tests.cardholders.conftest import register, signed_in
from tests.support.baseline import owner_email

pytestmark = pytest.mark.django_db


def _ids_from(model, first: int) -> None:
    """Let the table's next id be far above any the other merchants have, so that alice's ids
    name nothing of theirs (ids are counted per schema)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [model._meta.db_table, first])


@pytest.fixture
def alices(alice):
    with schema_context("alice"):
        _ids_from(Cardholder, 700_000)
        _ids_from(CustomField, 700_000)
        field = CustomField.objects.create(key="lieblingsbrot", label="Alices Lieblingsbrot", kind="choice",
                                           choices=["Roggen"])
        card = register(first_name="Alwine", last_name="Geheimkundin", email="alwine@alice.example",
                        phone="0171 5550001", custom_data={"lieblingsbrot": "Roggen"})
    return {"card": card, "cardholder": card.cardholder_id, "field": field}


@pytest.fixture
def bobs(bob):
    """bob has people and a field of his own, with ids that may equal alice's."""
    with schema_context("bob"):
        field = CustomField.objects.create(key="lieblingswurst", label="Bobs Lieblingswurst")
        card = register(first_name="Berta", last_name="Wurstkundin")
    return {"card": card, "field": field}


SECRETS = ("Geheimkundin", "Alwine", "alwine@alice.example", "Alices Lieblingsbrot", "lieblingsbrot")


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_people_and_fields_never_show_in_another_back_office(alices, bobs, other, request):
    merchant = request.getfixturevalue(other)
    client = signed_in(merchant, owner_email(other))
    pages = ["/manage/cardholders/", "/manage/cardholders/fields/",
             *(f"/manage/cardholders/?q={query}" for query in ("Geheimkundin", "geheim", "alwine@alice.example",
                                                               "0171 5550001", alices["card"].number))]

    for path in pages:
        response = client.get(path)
        assert response.status_code == 200
        page = response.content.decode()
        shown = page[page.index("</form>", page.index('id="cardholder-filters"')):] if "?q=" in path else page
        assert not [secret for secret in SECRETS if secret in shown], path
    for path in (f"/manage/cardholders/?q={alices['card'].number}", "/manage/cardholders/?q=geheim"):
        assert client.get(path).context["rows"] == []


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_ids_open_nothing_and_change_nothing_in_another_back_office(alice, alices, bobs, other, request):
    merchant = request.getfixturevalue(other)
    client = signed_in(merchant, owner_email(other))
    holder, field, number = alices["cardholder"], alices["field"].pk, alices["card"].number
    with schema_context(other):
        assert not Cardholder.objects.filter(pk=holder).exists() and not CustomField.objects.filter(pk=field).exists()
        audit_before = AuditLog.objects.count()
    gets = [f"/manage/cardholders/{holder}/", f"/manage/cardholders/{holder}/edit/",
            f"/manage/cardholders/{holder}/cards/{number}/block/", f"/manage/cardholders/fields/{field}/"]
    posts = [(f"/manage/cardholders/{holder}/edit/", {"first_name": "Eve", "language": "de"}),
             (f"/manage/cardholders/{holder}/cards/{number}/block/", {}),
             (f"/manage/cardholders/{holder}/consents/", {"purpose": "sms", "granted": "yes"}),
             (f"/manage/cardholders/fields/{field}/", {"label": "Eve"}),
             (f"/manage/cardholders/fields/{field}/deactivate/", {})]

    assert [client.get(path).status_code for path in gets] == [404] * len(gets)
    assert [client.post(path, data).status_code for path, data in posts] == [404] * len(posts)
    with schema_context("alice"):
        alwine = Cardholder.objects.get(pk=holder)
        assert alwine.first_name == "Alwine" and not alwine.consents.exists()
        assert CustomField.objects.get(pk=field).label == "Alices Lieblingsbrot"
    with schema_context(other):
        assert AuditLog.objects.count() == audit_before


def test_bobs_search_finds_his_own_people_only(alices, bobs, bob):
    client = signed_in(bob, owner_email("bob"))

    rows = client.get("/manage/cardholders/", {"q": "kundin"}).context["rows"]

    assert [row["name"] for row in rows] == ["Berta Wurstkundin"]
