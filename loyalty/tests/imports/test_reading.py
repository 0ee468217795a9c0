"""Reading the files merchants have: CSV as German Excel saves it (`;`, Windows-1252), UTF-8 with or
without a BOM and `,`, Excel workbooks; formulas are values, never evaluated; what cannot be read is
refused in plain words, and nothing is stored then."""
import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from loyalty.models import AuditLog, Cardholder, CardholderImport, CustomField
from loyalty.services import imports
from loyalty.services.cards import cards_create_range
from loyalty.tests.imports.conftest import csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

GERMAN_ROWS = [["Vorname", "Nachname", "E-Mail", "Straße"],
               ["Jürgen", "Müßig", "juergen@example.com", "Bäckerstraße 5"],
               ["Änne", "Öztürk-Weiß", "aenne@example.com", "Großer Bürgersteig 1"]]


def _import(job, actor):
    imports.cardholder_import_start(job=job, actor=actor)
    return imports.cardholder_import_run(import_id=job.pk)


@pytest.mark.parametrize(("encoding", "delimiter"), [("cp1252", ";"), ("utf-8-sig", ","), ("utf-8", "\t"),
                                                     ("utf-16", "\t")])
def test_csv_in_the_encodings_and_separators_excel_writes_keeps_the_umlauts(in_alice, actor, encoding, delimiter):
    CustomField.objects.create(key="strasse", label="Straße")
    content = csv_bytes(GERMAN_ROWS, delimiter=delimiter, encoding=encoding)

    job = imports.cardholder_import_upload(upload=upload("kunden.csv", content), actor=actor)

    assert job.headers == ["Vorname", "Nachname", "E-Mail", "Straße"]
    assert job.mapping == {"0": "first_name", "1": "last_name", "2": "email", "3": "custom:strasse"}
    assert _import(job, actor).created_count == 2
    people = {(holder.first_name, holder.last_name, holder.custom_data["strasse"])
              for holder in Cardholder.objects.all()}
    assert people == {("Jürgen", "Müßig", "Bäckerstraße 5"), ("Änne", "Öztürk-Weiß", "Großer Bürgersteig 1")}


def test_windows_1252_bytes_are_read_as_windows_1252():
    content = "Vorname;Nachname\r\nJürgen;Müßig\r\n".encode("cp1252")
    assert b"\xfc" in content and b"\xdf" in content  # ü and ß as single bytes, not UTF-8

    parsed = imports.file_parse(content, "csv")

    assert parsed.rows == [(2, ["Jürgen", "Müßig"])]


def test_a_formula_in_a_workbook_is_read_as_its_cached_value_and_never_evaluated(in_alice, actor):
    CustomField.objects.create(key="summe", label="Summe")
    workbook = xlsx_bytes([["Vorname", "E-Mail", "Summe", "Nachname"],
                           ["Anna", "anna@example.com", "=1+1", "=A2&\"x\""]])
    # openpyxl writes formulas without the value Excel would compute; give C2 one, as Excel does.
    workbook = _with_cached_value(workbook, "C2", "2")

    job = imports.cardholder_import_upload(upload=upload("kunden.xlsx", workbook), actor=actor)
    _import(job, actor)

    holder = Cardholder.objects.get()
    assert holder.custom_data == {"summe": "2"}
    assert holder.last_name == ""  # a formula without a cached value is empty, not "Annax"


def test_a_text_starting_with_a_formula_sign_in_a_csv_stays_text(in_alice, actor):
    content = csv_bytes([["Vorname", "Nachname", "E-Mail"], ["=1+1", "@SUM(A1)", "x@example.com"]])

    job = imports.cardholder_import_upload(upload=upload("kunden.csv", content), actor=actor)
    _import(job, actor)

    holder = Cardholder.objects.get()
    assert (holder.first_name, holder.last_name) == ("=1+1", "@SUM(A1)")


def test_dates_numbers_and_lost_leading_zeros_from_a_workbook(in_alice, actor):
    import datetime

    card = cards_create_range(first_serial=42, count=1, actor=actor)[0]
    assert card.number.startswith("0000")
    workbook = xlsx_bytes([["Kartennummer", "Geburtstag", "PLZ"],
                           [int(card.number), datetime.datetime(1980, 12, 31), 1067]])

    job = imports.cardholder_import_upload(upload=upload("kunden.xlsx", workbook), actor=actor)
    _import(job, actor)

    holder = Cardholder.objects.get()
    assert holder.cards.get() == card
    assert (holder.birth_date, holder.postcode) == (datetime.date(1980, 12, 31), "01067")


def test_blank_rows_are_left_out_and_row_numbers_stay_as_the_file_shows_them():
    content = csv_bytes([["Vorname", "E-Mail"], ["Anna", "a@example.com"], ["", ""], ["Ben", "b@example.com"]])

    parsed = imports.file_parse(content, "csv")

    assert [number for number, _cells in parsed.rows] == [2, 4]


def _with_cached_value(workbook: bytes, cell: str, value: str) -> bytes:
    source, target = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                marker = f'<c r="{cell}">'.encode()
                start = data.index(marker)
                end = data.index(b"</c>", start)
                # An empty value, as openpyxl writes it: <v/>, <v /> or <v></v>.
                cached = re.sub(rb"<v\s*/>|<v></v>", f"<v>{value}</v>".encode(), data[start:end])
                assert cached != data[start:end]
                data = data[:start] + cached + data[end:]
            archive.writestr(item, data)
    return target.getvalue()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("kunden.pdf", b"%PDF-1.4 binary", "neither a CSV file nor an Excel workbook"),
    ("kunden.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "neither a CSV file nor an Excel workbook"),
    ("kunden.xlsx", b"PK\x03\x04 this is no workbook", "could not be opened"),
    ("kunden.xlsx", csv_bytes([["Vorname"], ["Anna"]]), "could not be opened"),
    ("kunden.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Old Excel files (.xls) cannot be read"),
    ("kunden.csv", b"", "The file is empty"),
    ("kunden.csv", b";;;\r\nAnna;Ben\r\n", "The first row must hold the column names"),
    ("kunden.csv", b"Vorname;Nachname\r\n", "no rows below the column names"),
])
def test_what_cannot_be_read_is_refused_in_plain_words_and_nothing_is_stored(in_alice, actor, name, content, message):
    audit_before = AuditLog.objects.count()

    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            imports.cardholder_import_upload(upload=upload(name, content), actor=actor)
        assert message in " ".join(refused.value.messages)  # the messages are lazy: read in English
    assert not CardholderImport.objects.exists()
    assert AuditLog.objects.count() == audit_before


@override_settings(IMPORT_MAX_BYTES=1_000)
def test_a_file_over_the_size_limit_is_refused_and_nothing_is_stored(in_alice, actor):
    content = csv_bytes([["Vorname", "E-Mail"]] + [[f"Name {i}", f"n{i}@example.com"] for i in range(100)])
    assert len(content) > 1_000

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        imports.cardholder_import_upload(upload=upload("kunden.csv", content), actor=actor)

    assert "larger than" in refused.value.messages[0]
    assert not CardholderImport.objects.exists()
