"""Imports stay with their merchant: alice's are not found on bob's or charlie's host, an import run
in bob's schema writes nothing into alice's or charlie's, and a cashier can neither see nor start one."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog, Booking, Card, Cardholder, CardholderImport, Consent
from loyalty.pos.services import cashier_group
from loyalty.services import imports
from loyalty.services.cards import cards_create_range
from loyalty.tests.imports.conftest import csv_bytes, signed_in
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.factories import ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

ROWS = [["Vorname", "E-Mail", "Kartennummer", "Punkte", "Newsletter"]]


def _upload(schema: str, file_name: str, count: int = 3) -> CardholderImport:
    with schema_context(schema):
        points = ProgramFactory(kind="points", name="Punkte")
        cards = cards_create_range(first_serial=800, count=count, actor=Actor(label="test"))
        rows = ROWS + [[f"{schema}-{i}", f"{i}@{schema}.example", card.number, 5, "ja"]
                       for i, card in enumerate(cards)]
        owner = User.objects.get(email=owner_email(schema))
        job = imports.cardholder_import_upload(upload=SimpleUploadedFile(file_name, csv_bytes(rows)),
                                               actor=Actor(user=owner))
        assert job.mapping["3"] == f"balance:{points.pk}"
        return job


def _writes(schema: str) -> tuple:
    with schema_context(schema):
        return (Cardholder.objects.count(), Booking.objects.count(), Consent.objects.count(),
                Card.objects.filter(status="active").count(), CardholderImport.objects.count(),
                AuditLog.objects.exclude(action__startswith="throttled.").count())


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_import_is_404_on_another_merchants_host(alice, other, host_client, request):
    job = _upload("alice", "alices-kunden.csv")
    client = signed_in(host_client(request.getfixturevalue(other)), request.getfixturevalue(other))
    base = f"/manage/cardholders/import/{job.pk}/"

    answers = {path: client.get(path) for path in (base, base + "preview/", base + "result/", base + "status/")}
    answers["POST " + base] = client.post(base, {"column_0": "email"})
    answers["POST preview"] = client.post(base + "preview/")
    listing = client.get("/manage/cardholders/import/").content.decode()

    assert {path: response.status_code for path, response in answers.items()} == dict.fromkeys(answers, 404)
    assert "alices-kunden.csv" not in listing
    with schema_context("alice"):
        assert CardholderImport.objects.get(pk=job.pk).status == "uploaded"


def test_an_import_in_bobs_schema_writes_nothing_into_alices_or_charlies(alice, bob, charlie):
    alice_job = _upload("alice", "kunden.csv")
    bob_job = _upload("bob", "kunden.csv", count=4)
    before = {schema: _writes(schema) for schema in ("alice", "charlie")}

    with schema_context("bob"):
        imports.cardholder_import_start(job=bob_job, actor=Actor(user=bob_job.created_by))
        done = imports.cardholder_import_run(import_id=bob_job.pk)
        assert (done.status, done.created_count) == ("done", 4)
        assert sorted(Cardholder.objects.values_list("first_name", flat=True)) == [f"bob-{i}" for i in range(4)]

    assert {schema: _writes(schema) for schema in ("alice", "charlie")} == before
    with schema_context("alice"):
        assert CardholderImport.objects.get(pk=alice_job.pk).status == "uploaded"
        assert not Cardholder.objects.exists()


@pytest.fixture
def cashier_client(alice, host_client):
    with schema_context("alice"):
        cashier = UserFactory(email="kasse@alice.example")
        cashier.groups.add(cashier_group())
    client = host_client(alice)
    assert client.post("/manage/login/", {"username": cashier.email, "password": PASSWORD}).status_code == 302
    return client


def test_a_cashier_gets_403_and_no_import_is_made(alice, cashier_client):
    job = _upload("alice", "kunden.csv")
    before = _writes("alice")
    content = csv_bytes(ROWS + [["Kai", "kai@example.com", "", "", ""]])
    base = f"/manage/cardholders/import/{job.pk}/"

    answers = [
        cashier_client.get("/manage/cardholders/import/"),
        cashier_client.post("/manage/cardholders/import/", {"file": SimpleUploadedFile("kunden.csv", content)}),
        cashier_client.get(base), cashier_client.post(base, {"column_1": "email"}),
        cashier_client.get(base + "preview/"), cashier_client.post(base + "preview/"),
        cashier_client.get(base + "result/"), cashier_client.get(base + "status/"),
    ]

    assert [response.status_code for response in answers] == [403] * len(answers)
    assert _writes("alice") == before
    with schema_context("alice"):
        assert CardholderImport.objects.get().status == "uploaded"
