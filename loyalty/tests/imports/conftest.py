"""The import's tests: files made as Excel makes them, and alice's owner in the back office."""
import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

# alice's owner signed in (English), in alice's schema, and as an actor: as the back office's tests have them.
from loyalty.tests.manage.conftest import actor, in_alice, owner, owner_client  # noqa: F401
from loyalty.tests.manage.conftest import signed_in as owner_signed_in


def xlsx_bytes(rows: list[list]) -> bytes:
    """A workbook whose first sheet holds these rows (the first: the column names)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], *, delimiter: str = ";", encoding: str = "cp1252") -> bytes:
    """A CSV file as Excel writes it: CRLF line ends, in this encoding ("utf-8-sig": with a BOM)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def signed_in(client, merchant, language="en"):
    """The merchant's owner signed in on this client, reading `language`."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return owner_signed_in(client, merchant)
