"""The print files of an order, built by a real Celery worker file by file: the progress the console
polls, the stored files with their cards, readable download names, one build at a time, and a
failed build that shows its error and can be started again."""
import datetime
import io
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.backends.postgresql.psycopg_any import NumericRange
from django.utils import timezone, translation
from PIL import Image

from hq.models import OperatorAuditLog, PrintFile, PrintJob, PrintOrder
from hq.models import print_orders as print_order_models
from hq.printing.selectors import print_file_name
from hq.printing.services import print_order_create, print_order_submit
from loyalty.cardnumbers import card_number_from_serial
from tenants.accounts.models import User
from tenants.models import Merchant
from tests.support.baseline import OPERATOR_EMAIL
from tests.support.clients import operator_sign_in
from tests.support.concurrency import wait_until


@pytest.fixture(autouse=True)
def _small_files_in_tmp(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    # Two cards a file: an order of five makes three files in a few seconds.
    monkeypatch.setattr(print_order_models, "CARDS_PER_PRINT_FILE", 2)


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def _submitted(merchant, quantity, **kwargs) -> PrintOrder:
    operator = User.objects.get(email=OPERATOR_EMAIL)
    order = print_order_create(merchant=merchant, quantity=quantity, actor=operator, **kwargs)
    return print_order_submit(order=order, actor=operator)


def _job_status(order) -> str | None:
    return PrintJob.objects.filter(order=order).values_list("status", flat=True).first()


def test_the_worker_builds_every_file_once_with_progress_and_named_downloads(
        committed, celery_worker, alice, operator_client):
    order = _submitted(alice, 5, layout="standard")
    operator_sign_in(operator_client)
    before = operator_client.get(f"/print-orders/{order.pk}/files/status/").json()

    first = operator_client.post(f"/print-orders/{order.pk}/files/")
    second = operator_client.post(f"/print-orders/{order.pk}/files/")  # while the first runs
    busy_page = operator_client.get(f"/merchants/{alice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert (first.status_code, second.status_code) == (302, 302)
    assert (before["status"], before["files_done"], before["files_total"], before["finished"]) == ("", 0, 3, True)
    assert '<progress max="3"' in busy_page or _job_status(order) == "done"  # unless it was that quick
    assert wait_until(lambda: _job_status(order) == "done", timeout=90), _job_status(order)
    files = list(PrintFile.objects.filter(order=order).order_by("part"))
    assert [(file.part, file.size > 1000) for file in files] == [(1, True), (2, True), (3, True)]
    for file, serials in zip(files, [(1, 2), (3, 4), (5,)], strict=True):
        text = pdf_text(file.file.read())
        assert all(card_number_from_serial(serial) in text for serial in serials)
        assert all(card_number_from_serial(serial) not in text for serial in set(range(1, 6)) - set(serials))
    assert OperatorAuditLog.objects.filter(action="print_order.files_start").count() == 1
    assert OperatorAuditLog.objects.filter(action="print_order.files_done").count() == 1
    assert PrintJob.objects.get(order=order).started_by.email == OPERATOR_EMAIL

    status = operator_client.get(f"/print-orders/{order.pk}/files/status/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (status["status"], status["files_done"], status["percent"], status["finished"]) == ("done", 3, 100, True)
    assert [file["url"] for file in status["files"]] == [f"/print-orders/{order.pk}/files/{part}.pdf"
                                                         for part in (1, 2, 3)]
    assert status["files"][1]["name"] == "Alice’s Bakery – 5 cards – part 2 of 3.pdf"
    download = operator_client.get(f"/print-orders/{order.pk}/files/2.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == ("attachment; filename*=utf-8''Alice%E2%80%99s%20Bakery%20%E2%80%93"
                                               "%205%20cards%20%E2%80%93%20part%202%20of%203.pdf")
    assert card_number_from_serial(3) in pdf_text(b"".join(download.streaming_content))
    page = operator_client.get(f"/merchants/{alice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Alice’s Bakery – 5 cards – part 3 of 3.pdf" in page and "<progress" not in page

    # Started again once done: nothing more is built.
    operator_client.post(f"/print-orders/{order.pk}/files/")
    assert PrintFile.objects.filter(order=order).count() == 3
    assert OperatorAuditLog.objects.filter(action="print_order.files_start").count() == 1


def _png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (856, 540), "#1f6f8b").save(image, format="PNG")
    return image.getvalue()


def test_a_failed_build_shows_its_error_and_starts_again_where_it_stopped(committed, celery_worker, alice,
                                                                        operator_client):
    # A PDF that is no PDF past its first bytes: the design cannot be drawn, the build fails.
    order = _submitted(alice, 3, layout="custom", design=SimpleUploadedFile("entwurf.pdf", b"%PDF-1.7 kaputt"))
    operator_sign_in(operator_client)

    operator_client.post(f"/print-orders/{order.pk}/files/")

    assert wait_until(lambda: _job_status(order) == "failed", timeout=60), _job_status(order)
    status = operator_client.get(f"/print-orders/{order.pk}/files/status/").json()
    assert status["finished"] and status["error"].startswith("CalledProcessError")
    assert not PrintFile.objects.filter(order=order).exists()
    page = operator_client.get(f"/merchants/{alice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Building the print files failed: CalledProcessError" in page and "Try again" in page

    order.refresh_from_db()
    with open(order.design.path, "wb") as design:  # the operator's corrected design
        design.write(_png())
    operator_client.post(f"/print-orders/{order.pk}/files/")

    assert wait_until(lambda: _job_status(order) == "done", timeout=60), _job_status(order)
    assert list(PrintFile.objects.filter(order=order).values_list("part", flat=True)) == [1, 2]
    assert PrintJob.objects.get(order=order).error == ""
    assert OperatorAuditLog.objects.filter(action="print_order.files_start").count() == 2


@pytest.mark.django_db
def test_a_draft_has_no_print_files_to_build(alice, operator_client):
    draft = print_order_create(merchant=alice, quantity=3, layout="standard",
                               actor=User.objects.get(email=OPERATOR_EMAIL))
    operator_sign_in(operator_client)

    operator_client.post(f"/print-orders/{draft.pk}/files/")

    assert not PrintJob.objects.exists()
    assert not OperatorAuditLog.objects.filter(action="print_order.files_start").exists()


@pytest.mark.django_db
def test_the_file_name_says_merchant_quantity_and_part_in_the_language_of_the_page(alice, monkeypatch):
    monkeypatch.setattr(print_order_models, "CARDS_PER_PRINT_FILE", 400)
    merchant = Merchant(name="Bäckerei Probe", schema_name="probe")
    order = PrintOrder(merchant=merchant, quantity=500, serials=NumericRange(1, 501))
    big = PrintOrder(merchant=Merchant(name="Kette/Filiale: 1", schema_name="kette"), quantity=2_500,
                     serials=NumericRange(1, 2_501))

    with translation.override("de"):
        german = print_file_name(order=order, part=1)
        german_big = print_file_name(order=big, part=2)
    with translation.override("en"):
        english = print_file_name(order=order, part=2)

    assert german == "Bäckerei Probe – 500 Karten – Teil 1 von 2.pdf"
    assert german_big == "Kette Filiale 1 – 2.500 Karten – Teil 2 von 7.pdf"
    assert english == "Bäckerei Probe – 500 cards – part 2 of 2.pdf"


@pytest.mark.django_db
def test_without_both_factors_there_is_no_print_file(operator_client, alice):
    order = _submitted(alice, 3, layout="standard")

    answers = [operator_client.get(f"/print-orders/{order.pk}/files/{path}") for path in ("1.pdf", "status/")]

    assert [answer.status_code for answer in answers] == [302, 302]
    assert all(answer["Location"].startswith("/login/") for answer in answers)


@pytest.mark.django_db
def test_a_stalled_build_may_be_started_again_a_running_one_not(alice, operator_client):
    order = _submitted(alice, 3, layout="standard")
    operator_sign_in(operator_client)
    operator_client.post(f"/print-orders/{order.pk}/files/")
    PrintJob.objects.filter(order=order).update(status="running")

    operator_client.post(f"/print-orders/{order.pk}/files/")  # it runs: nothing happens
    assert OperatorAuditLog.objects.filter(action="print_order.files_start").count() == 1
    PrintJob.objects.filter(order=order).update(started_at=timezone.now() - datetime.timedelta(minutes=16))
    operator_client.post(f"/print-orders/{order.pk}/files/")  # no file for a quarter of an hour: lost

    assert OperatorAuditLog.objects.filter(action="print_order.files_start").count() == 2
    assert PrintJob.objects.get(order=order).status == "queued"
