"""Fixtures of the audit log tests: alice's audit log with a row of each family, written by the
real services and pages (the address of a page's request with it)."""
import re
import uuid
from dataclasses import dataclass

import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog, CardholderImport
from loyalty.services.audit import audit_record
from loyalty.services.bookings import booking_adjust, booking_earn
from loyalty.tests.manage.conftest import in_alice, owner, owner_client  # noqa: F401 (fixtures)
from loyalty.tests.staff.conftest import cashier, manager  # noqa: F401 (fixtures)
from tenants.accounts.models import User
from tests.support.baseline import owner_email
from tests.support.factories import CardFactory, ProgramFactory

ELSEWHERE = "198.51.100.7"


@dataclass
class Audited:
    """The rows written, by what they are."""

    sign_in: AuditLog
    reversal: AuditLog
    adjustment: AuditLog
    download: AuditLog
    cardholder_import: AuditLog
    role_change: AuditLog
    till_sign_in: AuditLog
    card: object
    program: object
    terminal: object


def _latest(action: str) -> AuditLog:
    with schema_context("alice"):
        return AuditLog.objects.filter(action=action).latest("pk")


@pytest.fixture
def audited(alice, owner_client, cashier, till_client) -> Audited:  # noqa: F811 (the fixtures imported above)
    """The owner signs in, reverses a purchase from the journal, downloads it, and makes the
    cashier a manager; an adjustment from elsewhere; the cashier signs in at a till; an import."""
    with schema_context("alice"):
        owner_user = User.objects.get(email=owner_email("alice"))
        program, card = ProgramFactory(kind="points", name="Bonuspunkte"), CardFactory()
        sale = booking_earn(card_number=card.number, program=program, purchase_amount_cents=2_000,
                            idempotency_key="sale", actor=Actor(label="system:test"))
        booking_adjust(card_number=card.number, program=program, amount=-5, reason="Kulanz für Alice",
                       idempotency_key="adjust", actor=Actor(user=owner_user, address=ELSEWHERE))
        # The import assistant's own service writes its rows under "cardholder_import.*".
        upload = CardholderImport.objects.create(file_name="kunden.csv", file_format="csv", content=b"x",
                                                 content_sha256="0" * 64, headers=["Name"], created_by=owner_user)
        audit_record(actor=Actor(user=owner_user, address=ELSEWHERE), action="cardholder_import.finish",
                     target=upload, created_count=990, skipped_count=10)
    sign_in = _latest("user.sign_in")
    assert owner_client.post(f"/manage/journal/{sale.pk}/reverse/", {"key": str(uuid.uuid4())}).status_code == 302
    assert owner_client.get(f"/manage/journal/download.csv?card_number={card.number}").status_code == 200
    assert owner_client.post(f"/manage/staff/{cashier.pk}/", {"role": "manager"}).status_code == 302
    till = till_client(alice, email=cashier.email, terminal_name="Kasse Theke")
    return Audited(sign_in=sign_in, reversal=_latest("booking.reversal"), adjustment=_latest("booking.adjustment"),
                   download=_latest("journal.download"), cardholder_import=_latest("cardholder_import.finish"),
                   role_change=_latest("staff.role_change"), till_sign_in=_latest("pos.sign_in"), card=card,
                   program=program, terminal=till.terminal)


def rows(html: str) -> dict[int, str]:
    """The entries the page lists, by their id, with their row's text."""
    found = {}
    for match in re.finditer(r'<tr id="entry-(\d+)">(.*?)</tr>', html, re.S):
        found[int(match.group(1))] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))).strip()
    return found
