"""Who performs a write: a staff user, a terminal, both (a cashier at a till), or the system."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user: object | None = None  # tenants.accounts.User of the merchant's schema
    terminal: object | None = None  # loyalty.models.Terminal
    label: str = ""

    @classmethod
    def system(cls, label: str) -> "Actor":
        return cls(label=f"system:{label}")

    def __post_init__(self):
        if self.user is None and self.terminal is None and not self.label:
            raise ValueError("An actor needs a user, a terminal or a label.")
