"""Program kinds: one module each in loyalty.programs, found by looking; their choices follow."""
import sys
import textwrap

from loyalty.models import Program
from loyalty.programs import BEHAVIOURS, behaviours_in, program_kinds


def test_the_four_kinds_come_from_their_modules_in_order():
    assert list(BEHAVIOURS) == ["points", "prepaid", "stamps", "voucher"]
    assert {behaviour.__module__ for behaviour in BEHAVIOURS.values()} == {
        "loyalty.programs.points", "loyalty.programs.prepaid", "loyalty.programs.stamps",
        "loyalty.programs.voucher"}
    assert Program._meta.get_field("kind").choices == program_kinds()
    assert [kind for kind, _label in program_kinds()] == list(Program.Kind.values)


def test_a_fifth_kind_is_one_module_with_its_behaviour(tmp_path, monkeypatch):
    package = tmp_path / "more_programs"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "cashback.py").write_text(textwrap.dedent('''
        from loyalty.programs.base import ProgramBehaviour
        from loyalty.programs.prepaid import PrepaidBehaviour  # imported, not defined here

        class CashbackBehaviour(ProgramBehaviour):
            kind = "cashback"
            label = "cash back"
            bookings = frozenset({"earn"})
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))

    found = behaviours_in("more_programs", [str(package)])

    assert list(found) == ["cashback"]
    assert found["cashback"].label == "cash back" and found["cashback"](program=None).allows("earn")
    sys.modules.pop("more_programs.cashback", None)
