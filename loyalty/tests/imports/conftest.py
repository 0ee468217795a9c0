import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email


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
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = client.post("/manage/login/", {"username": owner_email(merchant.schema_name), "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request in English leaves English active in this thread: the tests after it expect the default."""
    yield
    translation.deactivate()


@pytest.fixture
def owner_client(alice, host_client):
    """alice's owner in the back office, reading English."""
    return signed_in(host_client(alice), alice)


@pytest.fixture
def in_alice(alice):
    with schema_context(alice.schema_name):
        yield alice


@pytest.fixture
def owner(in_alice):
    return User.objects.get(email=owner_email("alice"))


@pytest.fixture
def actor(owner):
    return Actor(user=owner)
