"""Whether a page speaks German: the texts a person reads on it (text and the labels of
attributes), compared between its English and its German rendering of the same data."""
import re
from html.parser import HTMLParser

# Attributes a person reads or hears (screen readers), besides the text.
_READ_ATTRIBUTES = {"data-label", "aria-label", "title", "placeholder", "alt"}
# Words that are the same in both languages.
SAME_IN_BOTH = {"Terminal", "Terminals", "Journal", "Code", "Name", "Status", "Person", "Format", "Filter", "CSV",
                "Excel (XLSX)", "DE", "EN", "–", "Stammkunde"}


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts, self._skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skipping += 1
        self.texts += [value for name, value in attrs if name in _READ_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            # "Journal · Alice’s Bakery": each piece on its own.
            self.texts += [piece.strip() for line in data.splitlines() for piece in line.split(" · ")
                           if piece.strip()]


def page_texts(html: str) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    return set(parser.texts)


def untranslated(english_html: str, german_html: str, *, data=()) -> set[str]:
    """Texts with letters that read the same in the English and the German page, less the data
    both show (names, numbers, addresses) and the words that are the same in both languages."""
    same = page_texts(english_html) & page_texts(german_html)
    allowed = SAME_IN_BOTH | {str(value) for value in data}
    return {text for text in same if re.search(r"[A-Za-z]{2}", text) and text not in allowed
            and not any(text == value or text.strip(" :·,;()“”„") == value for value in allowed)}
