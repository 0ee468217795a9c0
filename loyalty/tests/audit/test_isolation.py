"""Alice's audit log is hers: none of her entries appears on bob's or charlie's audit page, and
her entry's page is 404 on their hosts, though they have entries of their own."""
import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog
from loyalty.services.audit import audit_record
from loyalty.tests.audit.conftest import ELSEWHERE, rows
from loyalty.tests.manage.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_entries_never_appear_on_another_merchants_audit_log(alice, audited, other, request, host_client):
    merchant = request.getfixturevalue(other)
    with schema_context(other):
        highest = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with schema_context("alice"):  # alice's newest entry has an id the other merchant has not got
        while AuditLog.objects.latest("pk").pk <= highest + 5:
            audit_record(actor=Actor.system("nightly"), action="card.block", reason="Füllzeile")
        alices = AuditLog.objects.latest("pk")
    client = signed_in(host_client(merchant), merchant)

    html = client.get("/manage/audit/").content.decode()
    with schema_context(other):
        own = set(AuditLog.objects.values_list("pk", flat=True))

    assert set(rows(html)) <= own and rows(html) != {}  # their own sign-in at least
    for secret in ("Kulanz für Alice", ELSEWHERE, "Kasse Theke", "kunden.csv", audited.card.number, "Füllzeile"):
        assert secret not in html
    assert client.get(f"/manage/audit/{alices.pk}/").status_code == 404
    assert client.get(f"/manage/audit/?terminal={audited.terminal.pk}").status_code == 200
    assert "Kasse Theke" not in client.get(f"/manage/audit/{audited.till_sign_in.pk}/").content.decode()
