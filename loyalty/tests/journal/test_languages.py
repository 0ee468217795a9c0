"""The journal, its totals and the reversal's confirmation speak German and English: no text of
the English page reads the same in the German one, besides the data both show."""
import pytest
from django_tenants.utils import schema_context

from loyalty.models import Booking
from tests.support.languages import untranslated

pytestmark = pytest.mark.django_db


def _data(ledger, client) -> set[str]:
    with schema_context("alice"):
        numbers = {str(pk) for pk in Booking.objects.values_list("pk", flat=True)}
    return {"Bonuspunkte", "Guthaben", "Kaffeekarte", "Gutschein", "Kasse 1", "Kulanz zurück", "owner@alice.example",
            "Alice’s Bakery", "System (test)", *numbers, *(card.number for card in ledger.cards)}


@pytest.mark.parametrize("path", ["/manage/journal/", "/manage/journal/?kind=earn&program={points}",
                                  "/manage/journal/{sale}/reverse/", "/manage/journal/{top_up}/reverse/",
                                  "/manage/journal/?date_from=2026-03-02&date_to=2026-03-01"])
def test_the_journal_pages_have_no_untranslated_text(alice, ledger, owner_client, path):
    with schema_context("alice"):
        top_up = Booking.objects.get(kind="top_up").pk
    path = path.format(points=ledger.points.pk, sale=ledger.earns[1][0].pk, top_up=top_up)

    english = owner_client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    german = owner_client.get(path, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert untranslated(english, german, data=_data(ledger, owner_client)) == set()
    assert english != german
