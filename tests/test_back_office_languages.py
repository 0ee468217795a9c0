"""Every page of the back office in German shows no English text of ours, and in English no
German one: each GET page of tests.support.routes is rendered for alice's owner in both languages
and its visible text is compared with the German catalogue."""
import html
import re
import subprocess

import pytest
from django.utils import translation
from django.utils.translation import trans_real

from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import HostClient
from tests.support.routes import TENANT_ROUTES
from tests.test_isolation_sweep import alices  # noqa: F401  (alice's ids, shared with the sweep)

pytestmark = pytest.mark.django_db

_HIDDEN = re.compile(r"<(script|style|svg)\b.*?</\1>|<!--.*?-->", re.S | re.I)
_ATTRIBUTES = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")
# Quoted text that declares its own language, such as a consent's wording shown in German and in
# English: the merchant's words, not a text of ours in the wrong language.
_QUOTED = re.compile(r'<(blockquote|textarea|q|dd)\b[^>]*\blang="[a-z-]+"[^>]*>.*?</\1>', re.S | re.I)


def visible_text(page: str) -> str:
    """What a person reads: the text between tags and the attributes shown as text."""
    page = _QUOTED.sub(" ", _HIDDEN.sub(" ", page))
    attributes = " ".join(_ATTRIBUTES.findall(page))
    return " ".join(html.unescape(_TAG.sub(" ", page) + " " + attributes).split())


def _catalogue() -> dict[str, str]:
    """Our German translations of whole phrases: at least two words, no placeholders, different
    from the English (a single word like "Status" may be the same in both)."""
    with translation.override("de"):
        catalog = trans_real.translation("de")._catalog
    # A msgid with a context ("alt. month\x04November") is judged by its text, not by the context's words.
    texts = ((msgid.split("\x04")[-1], msgstr) for msgid, msgstr in catalog.items()
             if isinstance(msgid, str) and isinstance(msgstr, str))
    return {msgid: msgstr for msgid, msgstr in texts
            if msgstr != msgid and " " in msgid.strip() and len(msgid) >= 12 and "%" not in msgid
            and "{" not in msgid and "\n" not in msgid}


def _pages(ids) -> list[str]:
    return [path.format(**ids) for pattern, calls in TENANT_ROUTES.items() if pattern.startswith("manage/")
            for method, path in calls if method == "GET"]


def _owner(alice, language: str) -> HostClient:
    client = HostClient(alice.primary_host, HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/manage/login/", {"username": owner_email("alice"), "password": PASSWORD})
    assert response.status_code == 302
    return client


def _found(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None


def test_every_back_office_page_in_german_shows_no_english_phrase_and_in_english_no_german_one(alice, request):
    ids = request.getfixturevalue("alices")["ids"]
    catalogue = _catalogue()
    assert len(catalogue) > 200  # the catalogue was read
    german, english = _owner(alice, "de"), _owner(alice, "en")
    untranslated, seen = [], 0
    for path in _pages(ids):
        for client, phrases in ((german, catalogue.keys()), (english, catalogue.values())):
            response = client.get(path)
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            seen += 1
            text = visible_text(response.content.decode())
            untranslated += [(path, phrase) for phrase in phrases if _found(text, phrase)]
    assert seen >= 40  # the pages were rendered in both languages
    assert untranslated == []


def test_the_page_text_reader_finds_a_phrase_only_where_a_person_reads_it():
    page = ('<p>Save changes</p><input placeholder="Search by name"><script>var x = "Hidden text";</script>'
            '<!-- A comment -->')
    text = visible_text(page)
    assert _found(text, "Save changes") and _found(text, "Search by name")
    assert not _found(text, "Hidden text") and not _found(text, "A comment")
    quoted = visible_text('<p>Wording</p><blockquote lang="de">Ich möchte den Newsletter</blockquote>')
    assert _found(quoted, "Wording") and not _found(quoted, "Ich möchte")


def test_the_german_catalogue_has_no_untranslated_or_fuzzy_entry():
    po = "locale/de/LC_MESSAGES/django.po"
    for option in ("--untranslated", "--only-fuzzy"):
        left = subprocess.run(["msgattrib", option, "--no-obsolete", po], capture_output=True, text=True,
                              check=True).stdout
        assert re.findall(r'^msgid "(.+)"$', left, re.M) == [], option
