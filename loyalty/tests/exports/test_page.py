"""The export page: who may ask for an export, what it shows while one is built and once it is ready,
the download for a day and then no more, and that alice's exports are nowhere else to be had."""
import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog, DataExport, JobStatus
from loyalty.services.exports import (
    DOWNLOADABLE_FOR,
    STALE_AFTER,
    TABLES,
    data_export_build,
    data_export_request,
    data_exports_expire,
)
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db


def _owner_client(host_client, merchant, language="en"):
    client = host_client(merchant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    assert client.post("/manage/login/", {"username": owner_email(merchant.schema_name),
                                          "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def owner_client(alice, host_client):
    return _owner_client(host_client, alice)


@pytest.fixture
def owner(alice):
    with schema_context("alice"):
        return User.objects.get(email=owner_email("alice"))


@pytest.fixture
def ready(alice, owner):
    """An export of alice's, built and downloadable."""
    with schema_context("alice"):
        export, _ = data_export_request(actor=Actor(user=owner), language="en")
        assert data_export_build(export_id=export.pk)
        export.refresh_from_db()
        return export


def _files(root) -> set[Path]:
    return {path for path in Path(root).rglob("*") if path.is_file()} if Path(root).exists() else set()


def test_a_cashier_gets_403_and_no_export_is_made(alice, host_client, export_root):
    from loyalty.pos.services import cashier_group

    with schema_context("alice"):
        cashier = UserFactory(email="kasse@alice.example")
        cashier.groups.add(cashier_group())
    client = host_client(alice)
    assert client.post("/manage/login/", {"username": cashier.email, "password": PASSWORD}).status_code == 302
    with schema_context("alice"):
        audit_before = AuditLog.objects.count()  # after the sign-in, which is audited itself

    answers = [client.get("/manage/export/").status_code,
               client.post("/manage/export/", {"export": "everything"}).status_code,
               client.get("/manage/export/1/download/").status_code]

    assert answers == [403, 403, 403]
    with schema_context("alice"):
        assert not DataExport.objects.exists()
        assert AuditLog.objects.count() == audit_before
    assert _files(export_root) == set()


def test_asking_for_an_export_queues_one_in_the_askers_language_and_audits_it(
        alice, owner, host_client, django_capture_on_commit_callbacks):
    client = _owner_client(host_client, alice, "de")

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/manage/export/", {"export": "everything"}, follow=True)

    assert response.status_code == 200
    with schema_context("alice"):
        export = DataExport.objects.get()
        audit = AuditLog.objects.get(action="export.request")
    assert (export.status, export.language, export.created_by, export.tables_total) == (
        JobStatus.QUEUED, "de", owner, len(TABLES) + 1)
    assert (audit.actor_user, audit.object_id, audit.data, audit.address) == (
        owner, str(export.pk), {"language": "de"}, "127.0.0.1")
    assert len(callbacks) == 1  # the task is queued once the request is committed
    page = response.content.decode()
    assert "Ihr Export wird erstellt." in page and "Wartet auf den Start …" in page
    assert '<meta http-equiv="refresh" content="2">' in page


def test_while_an_export_is_built_no_second_one_is_started(alice, owner, owner_client):
    first = owner_client.post("/manage/export/", {"export": "everything"}, follow=True)
    second = owner_client.post("/manage/export/", {"export": "everything"}, follow=True)

    assert "Your export is being built." in first.content.decode()
    assert "An export is being built already: it is shown below." in second.content.decode()
    with schema_context("alice"):
        assert DataExport.objects.count() == 1
        assert AuditLog.objects.filter(action="export.request").count() == 1


def test_a_post_without_the_pages_button_makes_nothing(alice, owner_client):
    response = owner_client.post("/manage/export/", {"something": "else"})

    assert response.status_code == 400
    with schema_context("alice"):
        assert not DataExport.objects.exists()
        assert not AuditLog.objects.filter(action="export.request").exists()


def test_the_page_shows_the_progress_of_a_running_export(alice, owner, owner_client):
    with schema_context("alice"):
        export = DataExport.objects.create(created_by=owner, status=JobStatus.RUNNING, tables_total=20, tables_done=7)

    page = owner_client.get("/manage/export/").content.decode()

    assert f'<progress id="progress-{export.pk}" value="7" max="20"' in page
    assert "7 of 20 parts done" in page and 'http-equiv="refresh"' in page


def test_the_page_in_german_and_english(alice, ready, host_client):
    german = _owner_client(host_client, alice, "de").get("/manage/export/").content.decode()
    english = _owner_client(host_client, alice, "en").get("/manage/export/").content.decode()

    assert "<h1>Alles exportieren</h1>" in german and "Letzte Exporte" in german
    assert "ZIP herunterladen" in german and "Fertig: Der Download ist bis" in german
    assert "<h1>Export everything</h1>" in english and "Recent exports" in english
    assert "Download ZIP" in english and "Ready: the download is available until" in english
    for page in (german, english):
        assert f'href="/manage/export/{ready.pk}/download/"' in page
        assert 'http-equiv="refresh"' not in page  # nothing is being built
        assert "<script" not in page


def test_the_download_streams_the_file_and_is_audited(alice, owner, ready, owner_client):
    response = owner_client.get(f"/manage/export/{ready.pk}/download/")

    assert response.status_code == 200 and response.streaming
    content = b"".join(response.streaming_content)
    assert content == (Path(settings.EXPORT_ROOT) / ready.file_path).read_bytes()
    assert int(response["Content-Length"]) == ready.file_size == len(content)
    with schema_context("alice"):
        download = AuditLog.objects.get(action="export.download")
    assert (download.actor_user, download.object_id, download.address) == (owner, str(ready.pk), "127.0.0.1")


def test_after_a_day_the_link_has_expired_and_the_cleanup_deletes_the_file(alice, ready, owner_client):
    path = Path(settings.EXPORT_ROOT) / ready.file_path
    assert ready.expires_at == ready.finished_at + DOWNLOADABLE_FOR
    with schema_context("alice"):
        DataExport.objects.filter(pk=ready.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    refused = owner_client.get(f"/manage/export/{ready.pk}/download/")
    with schema_context("alice"):
        expired = data_exports_expire()
        ready.refresh_from_db()
        assert not AuditLog.objects.filter(action="export.download").exists()
        cleanup = AuditLog.objects.get(action="export.expire")
    page = owner_client.get("/manage/export/").content.decode()

    assert refused.status_code == 410 and "The download has expired" in refused.content.decode()
    assert expired == 1 and not path.exists() and ready.file_path == ""
    assert (cleanup.actor_label, cleanup.object_id) == ("system:exports", str(ready.pk))
    assert "The download has expired and the file is deleted" in page
    assert f"/manage/export/{ready.pk}/download/" not in page
    assert owner_client.get(f"/manage/export/{ready.pk}/download/").status_code == 410


def test_the_cleanup_a_day_later_deletes_the_file_and_before_it_keeps_it(alice, ready):
    path = Path(settings.EXPORT_ROOT) / ready.file_path

    with schema_context("alice"):
        early = data_exports_expire(now=ready.finished_at + DOWNLOADABLE_FOR - datetime.timedelta(minutes=1))
        assert early == 0 and path.exists()
        later = data_exports_expire(now=ready.finished_at + DOWNLOADABLE_FOR + datetime.timedelta(hours=1))
        assert later == 1 and not path.exists()
        assert DataExport.objects.get(pk=ready.pk).state(now=timezone.now()) == "expired"


def test_the_cleanup_fails_builds_that_stopped_and_removes_files_no_export_names(alice, owner, export_root):
    with schema_context("alice"):
        stuck = DataExport.objects.create(created_by=owner, status=JobStatus.RUNNING)
        DataExport.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - STALE_AFTER)
        folder = Path(export_root) / "alice"
        folder.mkdir(parents=True)
        crashed = folder / "left-by-a-crash.zip.part"
        crashed.write_bytes(b"half a zip")
        fresh = folder / "being-written.zip.part"
        fresh.write_bytes(b"a build at work")
        day_old = (timezone.now() - DOWNLOADABLE_FOR - datetime.timedelta(minutes=1)).timestamp()
        os.utime(crashed, (day_old, day_old))

        data_exports_expire()

        assert DataExport.objects.get(pk=stuck.pk).status == JobStatus.FAILED
        assert not crashed.exists() and fresh.exists()
        # A new export may be asked for again.
        export, created = data_export_request(actor=Actor(user=owner), language="en")
        assert created


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_export_is_not_to_be_had_from_another_merchants_host(alice, ready, other, request, host_client):
    merchant = request.getfixturevalue(other)
    alices_session = _owner_client(host_client, alice)
    stranger = host_client(merchant)
    stranger.cookies["sessionid"] = alices_session.cookies["sessionid"].value
    other_owner = _owner_client(host_client, merchant)

    with_alices_session = stranger.get(f"/manage/export/{ready.pk}/download/")
    with_their_owner = other_owner.get(f"/manage/export/{ready.pk}/download/")
    their_page = other_owner.get("/manage/export/").content.decode()

    assert with_alices_session.status_code == 302 and with_alices_session["Location"].startswith("/manage/login/")
    assert with_their_owner.status_code == 404
    assert f"export-{ready.pk}" not in their_page and "No exports yet." in their_page
    with schema_context(other):
        assert not DataExport.objects.exists()


def test_bob_cannot_download_alices_file_even_with_its_path(alice, bob, ready, host_client):
    with schema_context("bob"):
        bobs_owner = User.objects.get(email=owner_email("bob"))
        forged = DataExport.objects.create(
            created_by=bobs_owner, status=JobStatus.DONE, file_path=ready.file_path, file_size=ready.file_size,
            finished_at=timezone.now(), expires_at=timezone.now() + DOWNLOADABLE_FOR)

    response = _owner_client(host_client, bob).get(f"/manage/export/{forged.pk}/download/")

    assert response.status_code == 410 and not getattr(response, "streaming", False)
    assert (Path(settings.EXPORT_ROOT) / ready.file_path).exists()
    with schema_context("bob"):
        assert not AuditLog.objects.filter(action="export.download").exists()


def test_an_export_not_built_yet_has_no_download(alice, owner, owner_client):
    with schema_context("alice"):
        export = DataExport.objects.create(created_by=owner)

    assert owner_client.get(f"/manage/export/{export.pk}/download/").status_code == 404
    assert owner_client.get("/manage/export/999999/download/").status_code == 404
