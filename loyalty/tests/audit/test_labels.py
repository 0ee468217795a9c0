"""Every action code the code writes to the audit log has its label and its family, in German and
English; a code without a label yet is still named in words, by its family."""
import re
from pathlib import Path

from django.utils import translation

from loyalty.audit_log import ACTION_LABELS, FAMILIES, action_family, action_label
from tenants import throttling

ROOT = Path(__file__).resolve().parents[3]
# `action="…"` in a call, a constant `…_ACTION = "…"`, and the codes the shared steps of the
# program services are given.
_LITERAL = re.compile(r'\baction="([a-z_]+\.[a-z_-]+)"|^[A-Z_]*ACTION = "([a-z_]+\.[a-z_-]+)"', re.M)
_PASSED = re.compile(r'(?:_update|_active_set)\([^)]*?"([a-z_]+\.[a-z_]+)"(?: if active else "([a-z_]+\.[a-z_]+)")?', re.S)


def _written_codes() -> set[str]:
    codes = set()
    for path in [*ROOT.glob("loyalty/**/*.py"), *ROOT.glob("tenants/**/*.py")]:
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text()
        codes |= {code for pair in _LITERAL.findall(text) for code in pair if code}
        codes |= {code for pair in _PASSED.findall(text) for code in pair if code}
    # loyalty.throttling writes a lock-out as "throttled.<the limit's name>".
    codes |= {f"throttled.{limit.name}" for limit in vars(throttling).values() if isinstance(limit, throttling.Limit)}
    return codes


def test_every_code_written_has_a_label_and_a_family():
    codes = _written_codes()

    assert {"booking.reversal", "staff.role_change", "reward.deactivate", "throttled.wrong-pins",
            "user.sign_in", "journal.download"} <= codes
    assert sorted(codes - set(ACTION_LABELS)) == []
    assert sorted(code for code in ACTION_LABELS if action_family(code) is None) == []


def test_the_labels_read_in_german_and_english():
    with translation.override("de"):
        german = {code: action_label(code) for code in ACTION_LABELS}
        families = [str(family.label) for family in FAMILIES]
    with translation.override("en"):
        english = {code: action_label(code) for code in ACTION_LABELS}

    assert german["booking.reversal"] == "Buchung storniert" and english["booking.reversal"] == "Booking reversed"
    assert [code for code in ACTION_LABELS if german[code] == english[code]] == []
    assert "Stornos" in families


def test_a_code_without_a_label_is_named_by_its_family():
    with translation.override("en"):
        assert action_label("cardholder_import.undo") == "Imports: cardholder_import.undo"
        assert action_label("something.new") == "something.new"
