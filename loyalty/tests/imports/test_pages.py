"""The import's pages in German and English, with no text left untranslated; refusals on the page in
plain words, never an error page; the progress as JSON for the progress bar."""
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils.translation import trans_real
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import CardholderImport, CustomField
from loyalty.models.transfers import JobStatus
from loyalty.services import imports
from loyalty.services.cards import cards_create_range
from loyalty.tests.imports.conftest import csv_bytes, signed_in
from tenants.accounts.models import User
from tests.support.baseline import owner_email
from tests.support.factories import ProgramFactory

pytestmark = pytest.mark.django_db

ROWS = [["Vorname", "Nachname", "E-Mail", "Kartennummer", "Guthaben", "Newsletter", "Notiz"],
        ["Jürgen", "Müßig", "juergen@example.com", "{card}", "12,50", "ja", "Stammgast"],
        ["Anna", "Abend", "anna@example.com", "", "", "nein", ""],
        ["Ben", "Brot", "kaputt", "", "", "", ""]]


class _Texts(HTMLParser):
    """What a person reads on a page: its text and the labels of its controls."""

    def __init__(self):
        super().__init__()
        self.texts, self._skip = set(), 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "data-label", "placeholder", "data-template") and value:
                self.texts.add(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.add(" ".join(data.split()))


def texts(html: str) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


@pytest.fixture
def alices_import(alice):
    """alice's points program, a card, an own field and an uploaded file."""
    with schema_context("alice"):
        ProgramFactory(kind="prepaid", name="Guthaben")
        CustomField.objects.create(key="notiz", label="Notiz")
        card = cards_create_range(first_serial=700, count=1, actor=Actor(label="test"))[0]
        owner = User.objects.get(email=owner_email("alice"))
        rows = [[cell.replace("{card}", card.number) for cell in row] for row in ROWS]
        job = imports.cardholder_import_upload(upload=SimpleUploadedFile("kunden.csv", csv_bytes(rows)),
                                               actor=Actor(user=owner))
        return job, card


def _pages(alice, host_client, language, job):
    client = signed_in(host_client(alice), alice, language=language)
    base = f"/manage/cardholders/import/{job.pk}/"
    pages = {"upload": client.get("/manage/cardholders/import/"), "mapping": client.get(base),
             "preview": client.get(base + "preview/")}
    return client, pages


# What the pages show of the data, the same in both languages.
DATA = {"Vorname", "Nachname", "E-Mail", "Kartennummer", "Guthaben", "Newsletter", "Notiz", "Jürgen", "Müßig",
        "Anna", "Abend", "Ben", "Brot", "juergen@example.com", "anna@example.com", "kaputt", "Stammgast", "ja",
        "nein", "kunden.csv", "Alice’s Bakery", "owner@alice.example", "DE", "EN", "–", "%"}


def _untranslated(english: set[str], german: set[str], *extra: str) -> set[str]:
    """Texts the same in both languages that are neither data nor words German spells alike
    ("Status", "Import": in the German catalog with themselves as translation)."""
    german_catalog = trans_real.translation("de")._catalog
    data = DATA | set(extra)

    def alike(part: str) -> bool:
        return part in data or german_catalog.get(part) == part or re.fullmatch(r"[\d\s.,/–%€()]*", part)

    # A text of several parts ("Import: kunden.csv", "Jürgen, Anna, Ben") is alike when each part is.
    return {text for text in english & german if not all(map(alike, re.split(r"\s*[·:,]\s*", text)))}


def test_every_page_of_the_import_speaks_german_and_english(alice, host_client, alices_import):
    job, card = alices_import
    _client, english = _pages(alice, host_client, "en", job)
    client, german = _pages(alice, host_client, "de", job)
    assert all(page.status_code == 200 for page in [*english.values(), *german.values()])
    with schema_context("alice"):
        imports.cardholder_import_start(job=job, actor=Actor(user=job.created_by))
        imports.cardholder_import_run(import_id=job.pk)
    base = f"/manage/cardholders/import/{job.pk}/"
    english["result"] = signed_in(host_client(alice), alice, language="en").get(base + "result/")
    german["result"] = client.get(base + "result/")

    for name in english:
        assert _untranslated(texts(english[name].content.decode()), texts(german[name].content.decode()),
                             card.number, job.created_at.strftime("%d.%m.%Y")) == set(), name
    assert "Spalten zuordnen" in german["mapping"].content.decode()
    assert "Row 4: “kaputt” is not an e-mail address." in english["preview"].content.decode()
    assert "Zeile 4: „kaputt“ ist keine E-Mail-Adresse." in german["preview"].content.decode()
    assert "Zeile 4: „kaputt“ ist keine E-Mail-Adresse." in german["result"].content.decode()
    assert "Row 4: “kaputt” is not an e-mail address." in english["result"].content.decode()


def test_the_page_under_way_shows_its_progress_and_the_status_as_json(alice, host_client, alices_import, owner_client):
    job, _card = alices_import
    with schema_context("alice"):
        CardholderImport.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, rows_done=1)

    page = owner_client.get(f"/manage/cardholders/import/{job.pk}/result/").content.decode()
    status = owner_client.get(f"/manage/cardholders/import/{job.pk}/status/").json()

    assert '<progress id="import-bar" max="3" value="1">' in page
    assert 'src="/static/js/progress.js"' in page and "<noscript><meta http-equiv=\"refresh\"" in page
    assert status == {"status": "running", "status_text": "running", "rows_done": 1, "rows_total": 3,
                      "percent": 33, "finished": False}


@override_settings(IMPORT_MAX_BYTES=100)
def test_a_file_too_large_is_refused_on_the_page_and_nothing_is_stored(alice, owner_client):
    content = csv_bytes([["Vorname", "E-Mail"]] + [[f"Name {i}", f"n{i}@example.com"] for i in range(20)])

    response = owner_client.post("/manage/cardholders/import/", {"file": SimpleUploadedFile("big.csv", content)})

    assert response.status_code == 200
    assert "The file is larger than" in response.content.decode()
    with schema_context("alice"):
        assert not CardholderImport.objects.exists()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("bild.png", b"\x89PNG\r\n\x1a\n\x00\x00", "This file is neither a CSV file nor an Excel workbook (.xlsx)."),
    ("kunden.xlsx", b"PK\x03\x04 broken", "This Excel file could not be opened."),
])
def test_a_file_of_another_type_is_refused_on_the_page(alice, owner_client, name, content, message):
    response = owner_client.post("/manage/cardholders/import/", {"file": SimpleUploadedFile(name, content)})

    assert response.status_code == 200
    assert message in response.content.decode()
    with schema_context("alice"):
        assert not CardholderImport.objects.exists()


def test_mapping_problems_stand_next_to_their_column(alice, owner_client, alices_import):
    job, _card = alices_import

    response = owner_client.post(f"/manage/cardholders/import/{job.pk}/",
                                 {"column_0": "first_name", "column_1": "first_name", "column_4": job.mapping["4"]})

    page = response.content.decode()
    assert response.status_code == 200
    assert "“First name” is already chosen for the column “Vorname”." in page
    assert "please choose the column with the card numbers too." in page
    with schema_context("alice"):
        assert CardholderImport.objects.get(pk=job.pk).mapping == job.mapping  # unchanged


def test_a_started_import_keeps_its_columns_and_is_queued_once(alice, owner_client, alices_import):
    job, _card = alices_import
    base = f"/manage/cardholders/import/{job.pk}/"
    with schema_context("alice"):
        assert imports.cardholder_import_start(job=job, actor=Actor(user=job.created_by))
        assert not imports.cardholder_import_start(job=job, actor=Actor(user=job.created_by))

    assert owner_client.get(base)["Location"] == base + "result/"
    assert owner_client.post(base, {"column_0": "email"})["Location"] == base + "result/"
    assert owner_client.get(base + "preview/")["Location"] == base + "result/"
    with schema_context("alice"):
        assert CardholderImport.objects.get(pk=job.pk).mapping == job.mapping
