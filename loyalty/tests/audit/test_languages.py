"""The audit log and an entry's page speak German and English: no text of the English page reads
the same in the German one, besides the data both show (names, addresses, codes)."""
import pytest
from django_tenants.utils import schema_context

from loyalty.models import AuditLog
from loyalty.tests.audit.conftest import ELSEWHERE
from tests.support.languages import untranslated

pytestmark = pytest.mark.django_db


def _data(audited, cashier) -> set[str]:
    with schema_context("alice"):
        entries = list(AuditLog.objects.all())
    return {"Bonuspunkte", "Kulanz für Alice", ELSEWHERE, "127.0.0.1", "owner@alice.example", "Alice’s Bakery",
            "Kasse Theke", "kunden.csv", cashier.full_name, cashier.email,
            audited.card.number, "test", *(entry.action for entry in entries),
            *(str(value) for entry in entries for value in entry.data.values() if isinstance(value, int))}


@pytest.mark.parametrize("path", ["/manage/audit/", "/manage/audit/?family=sign_ins&person={cashier}",
                                  "/manage/audit/{role_change}/", "/manage/audit/{cardholder_import}/",
                                  "/manage/audit/?date_from=2026-03-02&date_to=2026-03-01"])
def test_the_audit_pages_have_no_untranslated_text(alice, audited, owner_client, cashier, path):
    path = path.format(cashier=cashier.pk, role_change=audited.role_change.pk,
                       cardholder_import=audited.cardholder_import.pk)

    english = owner_client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    german = owner_client.get(path, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert untranslated(english, german, data=_data(audited, cashier)) == set()
    assert english != german


def test_the_german_log_reads_german(alice, audited, owner_client):
    german = owner_client.get("/manage/audit/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    for text in ("Protokoll", "Buchung storniert", "Stand von Hand korrigiert", "Journal heruntergeladen",
                 "In der Verwaltung angemeldet", "An der Kasse angemeldet", "Kasse → Leitung",
                 "Was sich geändert hat", "Von wo", "Terminal „Kasse Theke“ · 127.0.0.1", "−5 Punkte"):
        assert text in german, text
