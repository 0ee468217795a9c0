"""The person's own data as a download (Art. 15 and 20 GDPR): one JSON document for machines (ISO
dates, cents as whole numbers) and one CSV file as German Excel opens it (BOM, `;`, headers in the
person's language, formulas neutralised), each named in its Content-Disposition and audited."""
import csv
import datetime
import io
import json

import pytest
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, Cardholder, CustomField
from loyalty.services.cardholders import consent_record
from portal.tests.privacy.conftest import SYSTEM, holder

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_everything(hanna):
    """Hanna with an own field's value and a consent on top of her bookings."""
    with schema_context("alice"):
        CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot", position=1)
        person = Cardholder.objects.get(pk=hanna.cardholder_id)
        person.custom_data = {"lieblingsbrot": "Roggen"}
        person.save()
        consent_record(cardholder=person, purpose="newsletter", granted=True, source="portal", actor=SYSTEM,
                       wording_version="1")
    return hanna


def test_the_json_document_holds_everything_of_the_person_machine_readable(client, with_everything):
    response = client.get("/profile/data.json")

    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="alices-bakery-meine-daten-')  # Hanna reads German
    assert response["Content-Disposition"].endswith('.json"') and response["Cache-Control"] == "no-store"
    document = json.loads(response.content)
    person = document["person"]
    assert (person["first_name"], person["last_name"], person["email"], person["phone"], person["postcode"]) == (
        "Hanna", "Quastenberg", "hanna.quast@example.org", "+49 171 5550123", "80331")
    assert person["birth_date"] == "1984-03-07"
    assert datetime.datetime.fromisoformat(person["created_at"]).tzinfo is not None
    assert datetime.datetime.fromisoformat(person["email_confirmed_at"]).tzinfo is not None
    assert "password" not in person and person["has_password"] is False  # whether one is set, never its hash
    assert "index" not in json.dumps(document)
    assert document["own_fields"] == [{"key": "lieblingsbrot", "label": "Lieblingsbrot", "value": "Roggen"}]
    assert [(card["number"], card["status"]) for card in document["cards"]] == [(with_everything.number, "active")]
    balances = {row["program"]: (row["balance"], row["unit"]) for row in document["balances"]}
    assert balances == {"Bonuspunkte": (23, "points"), "Guthaben": (1_250, "cents")}
    lots = {(lot["program"], lot["remaining"]) for lot in document["open_lots"]}
    assert ("Bonuspunkte", 23) in lots
    points_lot = next(lot for lot in document["open_lots"] if lot["program"] == "Bonuspunkte")
    assert datetime.date.fromisoformat(points_lot["expires_on"]) > datetime.date.today()
    kinds = [(booking["kind"], booking["purchase_amount_cents"], [(entry["amount"], entry["balance_after"])
                                                                  for entry in booking["entries"]])
             for booking in document["bookings"]]
    assert kinds == [("earn", 2_350, [(23, 23)]), ("top_up", None, [(2_000, 2_000)]), ("pay", 750, [(-750, 1_250)])]
    [consent] = document["consents"]
    assert (consent["purpose"], consent["granted"], consent["source"], consent["wording_version"]) == (
        "newsletter", True, "portal", "1")
    assert consent["wording"]["en"].startswith("I would like to receive offers and news by e-mail.")
    assert consent["wording"]["de"].startswith("Ich möchte Angebote")
    with schema_context("alice"):
        entry = AuditLog.objects.get(action="cardholder.data_download")
    assert (entry.actor_label, entry.object_id, entry.data) == ("portal", str(with_everything.cardholder_id),
                                                               {"format": "json"})


def sections(content: bytes) -> dict[str, list[list[str]]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    found, title = {}, None
    for row in rows:
        if not row:
            title = None
        elif title is None:
            title = row[0]
            found[title] = []
        else:
            found[title].append(row)
    return found


def test_the_csv_file_opens_in_german_excel_with_headers_in_the_persons_language(client, with_everything):
    response = client.get("/profile/data.csv")

    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="alices-bakery-meine-daten-')
    assert response.content.startswith(b"\xef\xbb\xbf") and b"\r\n" in response.content
    tables = sections(response.content)  # Hanna's language is German, whatever the page's is
    assert list(tables) == ["Persönliche Daten", "Karten", "Guthaben", "Offene Gutschriften und ihr Verfall",
                            "Buchungen", "Einwilligungen"]
    personal = dict(tables["Persönliche Daten"][1:])
    assert personal["Vorname"] == "Hanna" and personal["Geburtsdatum"] == "1984-03-07"
    assert personal["Lieblingsbrot"] == "Roggen"
    # A phone number stays readable (an invisible word joiner keeps Excel from a formula).
    assert personal["Telefon"] == "\u2060+49 171 5550123"
    balances = {row[1]: row[2:] for row in tables["Guthaben"][1:]}
    assert balances["Guthaben"][:2] == ["12,50", "€"] and balances["Bonuspunkte"][:2] == ["23", "Punkte"]
    header, *bookings = tables["Buchungen"]
    assert header[:3] == ["Buchung", "Zeitpunkt", "Art"]
    assert [row[2] for row in bookings] == ["Einkauf", "Aufladung", "Zahlung"]
    assert bookings[0][4] == "23,50" and bookings[2][9] == "-7,50"
    consent = tables["Einwilligungen"][1]
    assert consent[1] == "Newsletter per E-Mail" and consent[4] == "1" and consent[5].startswith("Ich möchte")
    with schema_context("alice"):
        assert AuditLog.objects.get(action="cardholder.data_download").data == {"format": "csv"}


def test_a_formula_typed_as_a_name_is_text_in_the_csv_file(client, hanna):
    with schema_context("alice"):
        person = holder(hanna)
        person.last_name = '=HYPERLINK("http://evil.example","klick")'
        person.save()

    personal = dict(sections(client.get("/profile/data.csv").content)["Persönliche Daten"][1:])

    assert personal["Nachname"] == "'=HYPERLINK(\"http://evil.example\",\"klick\")"


def test_the_downloads_need_a_signed_in_cardholder(alice, host_client, hanna):
    stranger = host_client(alice)
    for path in ("/profile/data/", "/profile/data.json", "/profile/data.csv"):
        response = stranger.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/?next=")
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action="cardholder.data_download").exists()


def test_the_data_page_offers_both_files(client):
    page = client.get("/profile/data/").content.decode()

    assert 'href="/profile/data.csv"' in page and 'href="/profile/data.json"' in page
