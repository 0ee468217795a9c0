"""The back office's terminals: pairing codes only while a seat is free, rename, revoke with a
confirmation, last seen, and the licence change the operator has already agreed."""
import datetime

import pytest
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.errors import TerminalLimitReached
from loyalty.models import AuditLog, PairingCode, Terminal
from loyalty.pos.services import pairing_code_create
from loyalty.views.terminals import last_seen_text
from tenants.models import Merchant
from tenants.routing import merchants_changed
from tests.support.fixtures import paired_terminal

pytestmark = pytest.mark.django_db


def licence(merchant, seats):
    Merchant.objects.filter(pk=merchant.pk).update(terminal_limit=seats)
    merchants_changed()


def test_no_pairing_code_is_made_while_the_licence_is_full_and_nothing_is_written(alice, alice_owner, owner_client):
    licence(alice, 1)
    paired_terminal(alice, "Counter 1")
    with schema_context("alice"):
        audit_before = AuditLog.objects.count()

    page = owner_client.get("/manage/terminals/", HTTP_ACCEPT_LANGUAGE="en")
    refused = owner_client.form("/manage/terminals/", {"terminal_name": "Counter 2"}, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context("alice"), pytest.raises(TerminalLimitReached):
        pairing_code_create(terminal_name="Counter 3", actor=Actor(user=alice_owner))

    assert 'name="terminal_name"' not in page.content.decode()  # the form is not offered
    assert "All licensed terminals are in use." in page.content.decode()
    assert refused.status_code == 400
    assert "There is no free terminal seat (licensed terminals: 1)." in refused.content.decode()
    assert "code" not in refused.context or refused.context.get("code") is None
    with schema_context("alice"):
        assert not PairingCode.objects.exists()
        assert AuditLog.objects.count() == audit_before


def test_an_open_pairing_code_holds_its_seat(alice, alice_owner, owner_client):
    licence(alice, 2)
    paired_terminal(alice, "Counter 1")
    first = owner_client.form("/manage/terminals/", {"terminal_name": "Counter 2"})

    second = owner_client.form("/manage/terminals/", {"terminal_name": "Counter 3"}, HTTP_ACCEPT_LANGUAGE="en")
    page = owner_client.get("/manage/terminals/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert first.status_code == 200 and first.context["code"]
    assert second.status_code == 400
    with schema_context("alice"):
        assert list(PairingCode.objects.values_list("terminal_name", flat=True)) == ["Counter 2"]
    assert "1 pairing code not used yet holds a seat until it is used or expires." in page
    assert 'name="terminal_name"' not in page
    # Once the code has expired, its seat is free again.
    with schema_context("alice"):
        PairingCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert owner_client.form("/manage/terminals/", {"terminal_name": "Counter 3"}).status_code == 200


def test_a_till_is_renamed_with_its_before_and_after_audited(alice, owner_client):
    terminal, _ = paired_terminal(alice, "Counter 1")

    response = owner_client.form(f"/manage/terminals/{terminal.pk}/", {"name": "  Café  "})
    empty = owner_client.form(f"/manage/terminals/{terminal.pk}/", {"name": ""}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    with schema_context("alice"):
        assert Terminal.objects.get().name == "Café"
        audit = AuditLog.objects.get(action="terminal.rename")
        assert audit.data == {"before": {"name": "Counter 1"}, "after": {"name": "Café"}}
        assert audit.actor_user.email == "owner@alice.example"


def test_revoking_asks_first_and_the_question_itself_changes_nothing(alice, owner_client):
    terminal, _ = paired_terminal(alice, "Counter 1")

    question = owner_client.get(f"/manage/terminals/{terminal.pk}/revoke/", HTTP_ACCEPT_LANGUAGE="en")

    assert question.status_code == 200
    assert "Revoke “Counter 1”?" in question.content.decode()
    with schema_context("alice"):
        assert Terminal.objects.get().is_active
        assert not AuditLog.objects.filter(action="terminal.revoke").exists()

    answer = owner_client.form(f"/manage/terminals/{terminal.pk}/revoke/", {})

    assert answer.status_code == 302
    with schema_context("alice"):
        assert not Terminal.objects.get().is_active
        assert AuditLog.objects.get(action="terminal.revoke").data["after"] == {"is_active": False}


def test_last_seen_is_said_in_minutes_within_the_hour_then_as_date_and_time(alice, owner_client):
    terminal, _ = paired_terminal(alice, "Counter 1")
    with schema_context("alice"):
        Terminal.objects.filter(pk=terminal.pk).update(last_seen_at=timezone.now() - datetime.timedelta(minutes=5))

    german = owner_client.get("/manage/terminals/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = owner_client.get("/manage/terminals/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "vor 5 Min." in german
    assert "5 min. ago" in english
    moment = timezone.make_aware(datetime.datetime(2026, 3, 4, 17, 30))
    with translation.override("de"):
        assert last_seen_text(moment) == "04.03.2026 17:30"
        assert last_seen_text(None) == "–"


def test_the_licence_change_written_onto_the_tenant_is_shown_in_both_languages(alice, owner_client):
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit=2, terminal_limit_next=3,
                                                terminal_limit_next_from=datetime.date(2027, 1, 1))
    merchants_changed()

    german = owner_client.get("/manage/terminals/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = owner_client.get("/manage/terminals/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Ab Januar 2027: 3 Terminals" in german
    assert "From January 2027: 3 terminals" in english


def test_without_a_coming_change_none_is_shown(alice, owner_client):
    page = owner_client.get("/manage/terminals/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="licence-next"' not in page


def test_alices_terminals_cannot_be_renamed_or_revoked_from_bobs_back_office(alice, bob, charlie):
    from loyalty.tests.manage_shop.conftest import signed_in

    terminal, _ = paired_terminal(alice, "Alices Counter")
    for other in (bob, charlie):
        client = signed_in(other)
        assert "Alices Counter" not in client.get("/manage/terminals/").content.decode()
        assert client.get(f"/manage/terminals/{terminal.pk}/").status_code == 404
        assert client.form(f"/manage/terminals/{terminal.pk}/", {"name": "Taken"}).status_code == 404
        assert client.form(f"/manage/terminals/{terminal.pk}/revoke/", {}).status_code == 404
    with schema_context("alice"):
        assert Terminal.objects.get().name == "Alices Counter" and Terminal.objects.get().is_active
