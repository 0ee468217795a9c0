"""Finding cardholders by part of a name, although names are stored encrypted.

A name is cut into normalised tokens (lower case, accents dropped, ß as ss; a German umlaut also
spelled out: "Müller" is both "muller" and "mueller"). Each token gives search keys: its first one
and two letters (marked as a word's start) and every three-letter piece. The keys are stored as
short keyed hashes (tenants.encryption.blind_index, a key per merchant) in an indexed array; a
search looks up the rows holding every key of the query, then checks the few candidates against
their decrypted names. The hashes are cut to 40 bits, so that a key says little on its own and the
check after decryption settles what a collision lets through."""
import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = re.compile(r"[^\W_]+")
KEY_LENGTH = 10  # hex characters of each hashed key
START = "^"


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).replace("ß", "ss")


def umlauts_spelled_out(text: str) -> str:
    """Lower-case text with German umlauts spelled out: "müller" as "mueller", "straße" as "strasse"."""
    return text.translate(_UMLAUTS)


def name_tokens(text: str) -> set[str]:
    """The normalised words of a name, with a German umlaut also as its two-letter spelling."""
    folded = unicodedata.normalize("NFC", text or "").casefold()
    tokens = set()
    for word in _WORD.findall(folded):
        tokens.add(_plain(word))
        tokens.add(_plain(umlauts_spelled_out(word)))
    return {token for token in tokens if token}


def _token_keys(token: str) -> set[str]:
    keys = {START + token[:1], START + token[:2]}
    keys.update(token[i:i + 3] for i in range(len(token) - 2))
    return keys


def name_keys(*names: str) -> set[str]:
    """Every search key of these names (before hashing): what a row is indexed under."""
    return {key for name in names for token in name_tokens(name) for key in _token_keys(token)}


def query_terms(query: str) -> list[str]:
    """The words of a search, normalised like names (accents dropped, no umlaut spelling: a query
    "Mueller" finds "Müller" through the name's spelled-out form)."""
    folded = unicodedata.normalize("NFC", query or "").casefold()
    return [_plain(word) for word in _WORD.findall(folded) if _plain(word)]


def query_keys(term: str) -> set[str]:
    """The keys a row must hold to contain this word somewhere in a name: a short word is looked
    for at a word's start, a longer one anywhere."""
    if len(term) <= 2:
        return {START + term}
    return {term[i:i + 3] for i in range(len(term) - 2)}


def name_matches(terms: list[str], *names: str) -> bool:
    """The check after decryption: every word of the query is part of a word of the names (a short
    one at a word's start)."""
    tokens = {token for name in names for token in name_tokens(name)}
    return all(any(token.startswith(term) if len(term) <= 2 else term in token for token in tokens)
               for term in terms)
