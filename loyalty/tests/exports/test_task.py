"""The export of everything, the whole way: the owner asks for it on the page, the real Celery worker
builds it in alice's schema, the page links the download, and the ZIP holds every row of every table
(in its CSV files, its workbook and its manifest alike) and nothing of bob's or charlie's. The hourly
task deletes the files whose day is over, each merchant's in its own schema."""
import re

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog, DataExport, JobStatus
from loyalty.services.exports import TABLES, data_export_request
from loyalty.tasks import expire_data_exports_everywhere
from loyalty.tests.exports.support import Export, counts_in_database, shop_with_everything
from tenants.accounts.models import User
from tests.support.baseline import MERCHANTS, PASSWORD, owner_email
from tests.support.concurrency import wait_until


@pytest.fixture
def three_shops(committed, alice, bob, charlie):
    return {schema: shop_with_everything(schema, label)
            for schema, label in (("alice", "Alice"), ("bob", "Bertram"), ("charlie", "Charlotte"))}


def _signed_in(host_client, merchant, language):
    client = host_client(merchant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    assert client.post("/manage/login/", {"username": owner_email(merchant.schema_name),
                                          "password": PASSWORD}).status_code == 302
    return client


def _theirs(schema: str, shop: dict) -> list[str]:
    """What of another merchant's could show up in alice's export if it leaked."""
    return [shop["card"].number, shop["attacker"].number, f"anna@{schema}.example", f"manager@{schema}.example",
            f"kasse@{schema}.example", MERCHANTS[schema], *(program.name for program in shop["programs"].values())]


def test_the_export_holds_every_row_of_every_table_and_nothing_of_another_merchant(
        three_shops, celery_worker, alice, host_client):
    client = _signed_in(host_client, alice, "de")

    asked = client.post("/manage/export/", {"export": "everything"})

    assert asked.status_code == 302 and asked["Location"] == "/manage/export/"
    with schema_context("alice"):
        export = DataExport.objects.get()
        assert export.language == "de" and export.created_by == three_shops["alice"]["owner"]
        assert wait_until(lambda: DataExport.objects.get().status in (JobStatus.DONE, JobStatus.FAILED), timeout=90)
        export.refresh_from_db()
    assert export.status == JobStatus.DONE, export.error
    assert export.tables_done == export.tables_total == len(TABLES) + 1
    assert export.file_path.startswith("alice/") and (settings.EXPORT_ROOT / export.file_path).is_file()
    in_database = counts_in_database("alice")  # before the download, which adds its audit row
    page = client.get("/manage/export/").content.decode()
    assert f'href="/manage/export/{export.pk}/download/"' in page

    download = client.get(f"/manage/export/{export.pk}/download/")

    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert re.fullmatch(r'attachment; filename="alice-export-\d{4}-\d\d-\d\d\.zip"', download["Content-Disposition"])
    zip_file = Export(b"".join(download.streaming_content))
    # Every table of the database, counted three ways.
    assert set(zip_file.manifest["tables"]) == set(in_database)
    for table, count in in_database.items():
        assert count >= 1, f"the test's shop has no row in {table}"
        assert len(zip_file.csv_dicts(table)) == count, table
        assert len(zip_file.sheet_rows(table)) - 1 == count, table
        assert zip_file.manifest["tables"][table] == count, table
    assert zip_file.manifest["format_version"] == 1 and zip_file.manifest["language"] == "de"
    assert zip_file.manifest["merchant"] == {"schema": "alice", "name": MERCHANTS["alice"]}
    assert sorted(zip_file.zip.namelist()) == sorted(zip_file.manifest["files"])
    assert zip_file.raw("cardholders.csv").startswith("\ufeff".encode())
    # Headers in the German owner's language.
    assert zip_file.csv_rows("cardholders")[0][:3] == ["ID", "Vorname", "Nachname"]
    assert "Lieblingsbrot" in zip_file.csv_rows("cardholders")[0]
    assert {"Kartennummer", "Betrag", "Betrag (€)"} <= set(zip_file.csv_rows("ledger_entries")[0])
    everything = zip_file.every_text()
    for schema in ("bob", "charlie"):
        leaked = [text for text in _theirs(schema, three_shops[schema]) if text in everything]
        assert leaked == [], f"{schema}'s data in alice's export"
    assert [secret for secret in three_shops["alice"]["secrets"] if secret in everything] == []
    with schema_context("alice"):
        audited = list(AuditLog.objects.filter(action__startswith="export.").order_by("pk").values_list(
            "action", "actor_user__email", "object_id", "address"))
    assert audited == [("export.request", owner_email("alice"), str(export.pk), "127.0.0.1"),
                       ("export.download", owner_email("alice"), str(export.pk), "127.0.0.1")]
    for schema in ("bob", "charlie"):
        with schema_context(schema):
            assert not DataExport.objects.exists()
        assert not (settings.EXPORT_ROOT / schema).exists()


def test_the_hourly_task_deletes_expired_files_of_every_merchant_and_only_those(committed, celery_worker, alice, bob):
    exports = {}
    for schema in ("alice", "bob"):
        with schema_context(schema):
            owner = User.objects.get(email=owner_email(schema))
            data_export_request(actor=Actor(user=owner), language="en")  # built by the worker
            assert wait_until(lambda: DataExport.objects.get().status == JobStatus.DONE, timeout=60)
            exports[schema] = DataExport.objects.get()
    with schema_context("alice"):
        DataExport.objects.update(expires_at=exports["alice"].finished_at)

    assert expire_data_exports_everywhere.delay().get(timeout=60) == 1

    assert not (settings.EXPORT_ROOT / exports["alice"].file_path).exists()
    assert (settings.EXPORT_ROOT / exports["bob"].file_path).is_file()
    with schema_context("alice"):
        assert DataExport.objects.get().file_path == ""
    with schema_context("bob"):
        assert DataExport.objects.get().file_path == exports["bob"].file_path
