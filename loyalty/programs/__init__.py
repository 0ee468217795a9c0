"""What each program kind does, one module per kind in this package (points, prepaid, stamps,
voucher). A fifth kind is one new module here with its ProgramBehaviour subclass, found by
`behaviours_in`, plus the migration that its choice in Program.kind asks for."""
import importlib
import pkgutil

from loyalty.programs.base import ProgramBehaviour


def behaviours_in(package_name: str, package_path) -> dict[str, type[ProgramBehaviour]]:
    """The behaviour classes defined in the modules of a package, by their kind, in their order."""
    found = {}
    for module_info in pkgutil.iter_modules(package_path):
        module = importlib.import_module(f"{package_name}.{module_info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, ProgramBehaviour) and value.kind
                    and value.__module__ == module.__name__):
                found[value.kind] = value
    return dict(sorted(found.items(), key=lambda item: item[1].order))


BEHAVIOURS: dict[str, type[ProgramBehaviour]] = behaviours_in(__name__, __path__)


def behaviour_for(program) -> ProgramBehaviour:
    return BEHAVIOURS[program.kind](program)


def program_kinds() -> list[tuple[str, str]]:
    """Program.kind's choices: one per behaviour."""
    return [(kind, behaviour.label) for kind, behaviour in BEHAVIOURS.items()]
