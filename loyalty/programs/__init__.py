"""What each program kind does. Adding a kind means one new module here and one line below."""
from loyalty.programs.base import ProgramBehaviour
from loyalty.programs.points import PointsBehaviour
from loyalty.programs.prepaid import PrepaidBehaviour
from loyalty.programs.stamps import StampsBehaviour
from loyalty.programs.voucher import VoucherBehaviour

BEHAVIOURS: dict[str, type[ProgramBehaviour]] = {
    behaviour.kind: behaviour
    for behaviour in (PointsBehaviour, PrepaidBehaviour, StampsBehaviour, VoucherBehaviour)
}


def behaviour_for(program) -> ProgramBehaviour:
    return BEHAVIOURS[program.kind](program)
