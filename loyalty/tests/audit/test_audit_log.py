"""The audit log page: reversals, adjustments, exports, imports, permission changes and sign-ins,
each with who, when, from where and what changed; newest first, paginated; its filters; one
entry on its own page; a cashier gets 403."""
import datetime

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog
from loyalty.services.audit import audit_record
from loyalty.tests.audit.conftest import ELSEWHERE, rows
from loyalty.tests.staff.conftest import sign_in

pytestmark = pytest.mark.django_db


def _when(entry: AuditLog) -> str:
    with translation.override("en"):
        return date_format(timezone.localtime(entry.created_at), "SHORT_DATETIME_FORMAT")


def test_the_log_shows_who_when_where_and_what_of_each_kind_of_entry(alice, audited, owner_client, cashier):
    listed = rows(owner_client.get("/manage/audit/").content.decode())
    owner_name = audited.sign_in.actor_user.full_name or audited.sign_in.actor_user.email

    expected = {
        audited.sign_in: ["Signed in to the back office", owner_name, "127.0.0.1", "Signed in with: password"],
        audited.reversal: ["Booking reversed", owner_name, "127.0.0.1",
                           f"Reverses booking: {audited.reversal.data['reverses']}", f"Card: {audited.card.number}"],
        audited.adjustment: ["Balance adjusted by hand", owner_name, ELSEWHERE, "Amount: −5 points",
                             "Program: Bonuspunkte", "Reason: Kulanz für Alice"],
        audited.download: ["Journal downloaded", owner_name, "127.0.0.1", "Format: CSV", "Rows: 3",
                           f"Filter: Card number: {audited.card.number}"],
        audited.cardholder_import: ["Cardholder import finished", "Cardholder import “kunden.csv”",
                                    ELSEWHERE, "Cardholders added: 990", "Rows already imported: 10"],
        audited.role_change: ["Role of a staff member changed", f"Staff member “{cashier.full_name}”", owner_name,
                              "127.0.0.1", "Role: Cashier → Manager"],
        audited.till_sign_in: ["Signed in at the till", cashier.full_name, "Terminal “Kasse Theke” · 127.0.0.1",
                               "Signed in with: password"],
    }
    for entry, texts in expected.items():
        assert entry.pk in listed, entry.action
        for text in [_when(entry), *texts]:
            assert text in listed[entry.pk], (entry.action, text, listed[entry.pk])
    assert list(listed) == sorted(listed, reverse=True)  # newest first


def test_an_entry_has_a_page_of_its_own(alice, audited, owner_client):
    html = owner_client.get(f"/manage/audit/{audited.role_change.pk}/").content.decode()

    assert "Role of a staff member changed" in html and "Cashier → Manager" in html
    assert "staff.role_change" in html and "127.0.0.1" in html
    assert owner_client.get("/manage/audit/999999/").status_code == 404


@pytest.mark.parametrize(("query", "wanted", "unwanted"), [
    ("family=reversals", ["reversal"], ["adjustment", "sign_in", "download"]),
    ("family=adjustments", ["adjustment"], ["reversal"]),
    ("family=exports", ["download"], ["reversal", "cardholder_import"]),
    ("family=imports", ["cardholder_import"], ["download"]),
    ("family=access", ["role_change"], ["sign_in", "reversal"]),
    ("family=sign_ins", ["sign_in", "till_sign_in"], ["role_change", "reversal"]),
    ("person={cashier}", ["till_sign_in"], ["sign_in", "reversal", "role_change"]),
    ("person={owner}", ["sign_in", "reversal", "role_change"], ["till_sign_in"]),
    ("terminal={terminal}", ["till_sign_in"], ["sign_in", "reversal"]),
    ("date_from={today}&date_to={today}", ["sign_in", "reversal", "till_sign_in"], []),
    ("date_to={yesterday}", [], ["sign_in", "reversal", "till_sign_in"]),
])
def test_the_filters_pick_their_entries_only(alice, audited, owner_client, cashier, query, wanted, unwanted):
    today = timezone.localdate()
    path = "/manage/audit/?" + query.format(cashier=cashier.pk, owner=audited.sign_in.actor_user_id,
                                            terminal=audited.terminal.pk, today=today.isoformat(),
                                            yesterday=(today - datetime.timedelta(days=1)).isoformat())

    listed = rows(owner_client.get(path).content.decode())

    for name in wanted:
        assert getattr(audited, name).pk in listed, name
    for name in unwanted:
        assert getattr(audited, name).pk not in listed, name
    if not wanted:
        assert listed == {}


def test_an_end_before_the_start_is_named_and_lists_nothing(alice, audited, owner_client):
    html = owner_client.get("/manage/audit/?date_from=2026-03-02&date_to=2026-03-01").content.decode()

    assert rows(html) == {} and "The end is before the start: please pick a later day." in html
    assert owner_client.get("/manage/audit/?family=nonsense").status_code == 200


def test_the_log_is_paginated(alice, owner_client):
    with schema_context("alice"):
        for index in range(55):
            audit_record(actor=Actor.system("nightly"), action="card.block", reason=f"Verlust {index}")
    first = owner_client.get("/manage/audit/?family=cards").content.decode()
    second = owner_client.get("/manage/audit/?family=cards&page=2").content.decode()

    assert len(rows(first)) == 50 and len(rows(second)) == 5
    assert "Page 1 of 2" in first and 'href="?family=cards&amp;page=2"' in first
    assert "System (nightly run)" in first and "Card blocked" in first


def test_a_cashier_and_a_manager_without_the_log_get_403(alice, audited, cashier):
    client = sign_in(alice, cashier.email)  # a manager by now: managers see the log
    assert client.get("/manage/audit/").status_code == 200
    with schema_context("alice"):
        cashier.groups.clear()
        from loyalty.pos.services import cashier_group

        cashier.groups.add(cashier_group())
    client = sign_in(alice, cashier.email)

    assert client.get("/manage/audit/").status_code == 403
    assert client.get(f"/manage/audit/{audited.reversal.pk}/").status_code == 403
