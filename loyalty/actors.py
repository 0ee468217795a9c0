"""Who performs a write: a staff user, a terminal, both (a cashier at a till), or the system."""
from dataclasses import dataclass

# The idempotency keys of the system's own bookings (expiry, bonuses) live here; no client's do.
SYSTEM_SCOPE = "system"


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

    @property
    def idempotency_scope(self) -> str:
        """Whose Idempotency-Key a request carries: the sending device's (a till or cash register,
        whoever is signed in on it), else the person's; the system's for everything else. A client
        always has a terminal or a user, so it can never send a key of the system's."""
        if self.terminal is not None:
            return f"terminal:{self.terminal.pk}"
        if self.user is not None:
            return f"user:{self.user.pk}"
        return SYSTEM_SCOPE
