"""Every cardholder page in German and in English, with no text of the other language: the pages
are rendered with Accept-Language de and en; known German phrases show, and none of the English
texts of these pages and forms (read from their templates and modules) is left untranslated."""
import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from loyalty.actors import Actor
from loyalty.models import Consent, CustomField
from loyalty.services import bookings
from loyalty.services.cardholders import consent_record
from loyalty.tests.cardholders.conftest import register, signed_in
from tests.support.baseline import owner_email
from tests.support.factories import CardFactory
from tests.test_back_office_languages import visible_text

pytestmark = pytest.mark.django_db
LOYALTY = Path(__file__).resolve().parents[2]
TEMPLATES = LOYALTY / "templates/loyalty/manage/cardholders"
MODULES = [LOYALTY / "views/cardholders.py", LOYALTY / "views/cardholder_forms.py",
           LOYALTY / "services/cardholders.py", LOYALTY / "models/cardholders.py"]
_TRANSLATE = re.compile(r"""{%\s*translate\s+(["'])(.+?)\1""")
_BLOCK = re.compile(r"{%\s*blocktranslate\b([^%]*)%}(.*?){%\s*endblocktranslate\s*%}", re.S)
_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
# The same word in both languages.
SAME_IN_BOTH = {"Status", "E-Mail", "Name", "Text"}
# The singular of each {% blocktranslate count %}: looked up as a plural entry.
PLURALS = set()


def _template_msgids() -> set[str]:
    msgids = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        msgids |= {match[1] for match in _TRANSLATE.findall(text)}
        for options, body in _BLOCK.findall(text):
            plural = re.match(r"\s*count\b", options)
            if plural:
                body = body.split("{% plural %}")[0]
            msgids.add(msgid := _VARIABLE.sub(r"%(\1)s", body))
            if plural:
                PLURALS.add(msgid)
    return msgids


def _module_msgids() -> set[str]:
    msgids = set()
    for module in MODULES:
        for node in ast.walk(ast.parse(module.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "gettext", "gettext_lazy") and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                msgids.add(node.args[0].value)
    return msgids


MSGIDS = sorted(_template_msgids() | _module_msgids())


def test_the_texts_are_read_from_the_templates_and_modules():
    assert {"Own fields", "Record a consent", "Please give the field a name.", "Last visit",
            "Correct “%(program)s”"} <= set(MSGIDS)
    assert len(MSGIDS) > 150


def test_every_text_of_the_cardholder_pages_has_its_german_translation():
    with translation.override("de"):
        untranslated = [msgid for msgid in MSGIDS if msgid not in SAME_IN_BOTH and (
            translation.ngettext(msgid, msgid, 1) if msgid in PLURALS else translation.gettext(msgid)) == msgid]
    assert untranslated == []


@pytest.fixture
def shop(in_alice, points, prepaid, voucher):
    """A person with everything a page can show, and an own field of each type."""
    for position, (key, kind) in enumerate([("brot", "choice"), ("menge", "number"), ("seit", "date"),
                                            ("gluten", "checkbox"), ("notiz", "text")]):
        CustomField.objects.create(key=key, label=key.title(), kind=kind, choices=["Roggen"] if kind == "choice" else [],
                                   position=position)
    CustomField.objects.create(key="alt", label="Alt", is_active=False)
    card = register(first_name="Anna", last_name="Becker", email="anna@example.com",
                    custom_data={"brot": "Roggen", "menge": "2", "seit": "2015-01-31", "gluten": True, "alt": "x"})
    system = Actor.system("test")
    bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=2_000,
                          idempotency_key="l1", actor=system)
    bookings.booking_top_up(card_number=card.number, program=prepaid, amount_cents=1_000, idempotency_key="l2",
                            actor=system)
    bookings.booking_voucher_issue(card_number=card.number, program=voucher, idempotency_key="l3", actor=system)
    consent_record(cardholder=card.cardholder, purpose=Consent.Purpose.NEWSLETTER, granted=True, source="portal",
                   actor=system, wording_version="1")
    return card, CardFactory(status="unissued")


def _pages(client, card, blank, points, prepaid, voucher, field):
    """(method, path, data) of every page and of the pages' answers with errors and questions."""
    base = f"/manage/cardholders/{card.cardholder_id}"
    return [
        ("GET", "/manage/cardholders/", {}), ("GET", "/manage/cardholders/", {"q": "becker", "visit": "30"}),
        ("GET", "/manage/cardholders/", {"q": "nobody"}), ("GET", "/manage/cardholders/", {"value": "x"}),
        ("GET", "/manage/cardholders/fields/", {}), ("GET", f"/manage/cardholders/fields/{field.pk}/", {}),
        ("POST", "/manage/cardholders/fields/", {"label": "?", "kind": "choice"}),
        ("GET", f"{base}/", {}), ("GET", f"{base}/edit/", {}),
        ("POST", f"{base}/edit/", {"email": "x", "phone": "y", "birth_date": "z", "own__menge": "m",
                                   "own__seit": "s", "language": "de"}),
        ("GET", f"{base}/consents/", {}),
        ("GET", f"{base}/cards/{card.number}/block/", {}), ("GET", f"{base}/cards/{card.number}/replace/", {}),
        ("POST", f"{base}/cards/{card.number}/replace/", {"new_card_number": blank.number, "idempotency_key": "k"}),
        ("POST", f"{base}/cards/{card.number}/replace/", {"new_card_number": card.number, "idempotency_key": "k",
                                                          "confirm": "1"}),
        ("GET", f"{base}/programs/{points.pk}/adjust/", {}), ("GET", f"{base}/programs/{prepaid.pk}/adjust/", {}),
        ("POST", f"{base}/programs/{points.pk}/adjust/", {"direction": "take", "amount": "9999",
                                                         "reason": "r", "card": card.number, "idempotency_key": "a"}),
        ("GET", f"{base}/programs/{voucher.pk}/voucher/", {}),
        ("POST", f"{base}/programs/{voucher.pk}/voucher/", {"card": card.number, "amount": "900",
                                                          "idempotency_key": "v"}),
    ]


def test_every_cardholder_page_reads_german_or_english_throughout(alice, shop, points, prepaid, voucher):
    card, blank = shop
    field = CustomField.objects.get(key="brot")
    german_client = signed_in(alice, owner_email("alice"), language="de")
    english_client = signed_in(alice, owner_email("alice"), language="en")
    with translation.override("de"):
        german = {msgid: translation.gettext(msgid) for msgid in MSGIDS}
    phrases = {msgid: text for msgid, text in german.items()
               if text != msgid and " " in msgid and "%" not in msgid and len(msgid) >= 8}
    seen, left = set(), []
    for client, other_language in ((german_client, phrases.keys()), (english_client, phrases.values())):
        for method, path, data in _pages(client, card, blank, points, prepaid, voucher, field):
            response = client.get(path, data) if method == "GET" else client.post(path, data)
            assert response.status_code in (200, 409), (method, path, response.status_code)
            text = visible_text(response.content.decode())
            seen.add((client is german_client, method, path, str(data)))
            left += [(method, path, phrase) for phrase in other_language if phrase in text]
    assert left == []
    assert len(seen) == 2 * len(_pages(german_client, card, blank, points, prepaid, voucher, field))
    page = visible_text(german_client.get(f"/manage/cardholders/{card.cardholder_id}/").content.decode())
    for known in ("Persönliche Daten", "Eigene Felder", "Guthaben", "Einwilligungen", "Verlauf"):
        assert known in page
