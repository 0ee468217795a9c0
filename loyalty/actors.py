"""Who performs a write: a staff user, a terminal, both (a cashier at a till), an integrator's API
key, or the system."""
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The idempotency keys of the system's own bookings (expiry, bonuses) live here; no client's do.
SYSTEM_SCOPE = "system"
SYSTEM_PREFIX, API_KEY_PREFIX = "system:", "API: "
# The system's own jobs, and the labels of writes before anyone is signed in, as people read them.
_SYSTEM_TASKS = {"nightly": gettext_lazy("nightly run"), "setup": gettext_lazy("set-up"),
                 "monthly report": gettext_lazy("monthly statistics report"),
                 "demo": gettext_lazy("demo data")}
_LABELS = {"back-office sign-in": gettext_lazy("Sign-in form of the back office"),
           "till pairing": gettext_lazy("Pairing of a till"),
           "portal": gettext_lazy("The cardholder in the customer portal")}
PORTAL_LABEL = "portal"


@dataclass(frozen=True)
class Actor:
    user: object | None = None  # tenants.accounts.User of the merchant's schema
    terminal: object | None = None  # loyalty.models.Terminal
    label: str = ""
    api_key: object | None = None  # loyalty.models.ApiKey
    # Where the request came from (the client's address), for the audit log; not part of who it is.
    address: str = ""
    # A cardholder acting on their own card and data in the customer portal (Actor.for_cardholder).
    cardholder: object | None = None  # loyalty.models.Cardholder

    @classmethod
    def system(cls, label: str) -> "Actor":
        return cls(label=f"{SYSTEM_PREFIX}{label}")

    @classmethod
    def for_api_key(cls, api_key) -> "Actor":
        """A cash register booking through the REST API with a key: the booking's and the audit
        row's label names the key ("API: Kasse Filiale 2"), as they have no person or terminal."""
        return cls(api_key=api_key, label=f"{API_KEY_PREFIX}{api_key.name}"[:100])

    @classmethod
    def for_cardholder(cls, cardholder, *, address: str = "") -> "Actor":
        """A cardholder in the customer portal: may act on their own cards and data only, which
        each service checks (`acts_for`); holds no permission of the merchant's staff."""
        if cardholder is None:
            raise ValueError("A cardholder actor needs the cardholder; a visitor is Actor.portal_visitor.")
        return cls(cardholder=cardholder, label=PORTAL_LABEL, address=address)

    @classmethod
    def portal_visitor(cls, *, address: str = "") -> "Actor":
        """Someone in the customer portal who is not signed in (registering a card, asking for a
        sign-in link): holds no permission at all."""
        return cls(label=PORTAL_LABEL, address=address)

    def acts_for(self, cardholder_id) -> bool:
        """Whether this actor is the cardholder `cardholder_id` themself in the portal."""
        return self.cardholder is not None and cardholder_id is not None and self.cardholder.pk == cardholder_id

    def __post_init__(self):
        if self.user is None and self.terminal is None and not self.label:
            raise ValueError("An actor needs a user, a terminal or a label.")
        if self.api_key is not None and (self.user is not None or self.terminal is not None):
            raise ValueError("An API key books alone, without a person or a terminal.")
        if self.cardholder is not None and (self.user is not None or self.terminal is not None
                                            or self.api_key is not None):
            raise ValueError("A cardholder acts alone in the portal.")

    def may(self, permission: str, *, device_alone: bool = False) -> bool:
        """Whether this actor may make a write that needs `permission` ("loyalty.change_cardholder"):
        a person by their permissions (whatever till they are on); a terminal or an API key signing
        for no one only where `device_alone` allows it; the system's own work always."""
        if self.user is not None:
            return self.user.has_perm(permission)
        if self.terminal is not None or self.api_key is not None:
            return device_alone
        # Nobody in the portal holds a staff permission; the system's own work may do everything.
        return self.label != PORTAL_LABEL

    @property
    def idempotency_scope(self) -> str:
        """Whose Idempotency-Key a request carries: the API key's, or the sending device's (a till
        or cash register, whoever is signed in on it), else the person's; the system's for
        everything else. A client
        always has a terminal, a user or an API key, so it can never send a key of the system's."""
        if self.api_key is not None:
            return f"key:{self.api_key.pk}"
        if self.terminal is not None:
            return f"terminal:{self.terminal.pk}"
        if self.user is not None:
            return f"user:{self.user.pk}"
        if self.cardholder is not None:
            return f"cardholder:{self.cardholder.pk}"
        return SYSTEM_SCOPE


def actor_label_text(label: str) -> str:
    """An actor's label (a booking's or an audit row's, where no person signed) in words:
    `System (nightly run)`, `API key “Kasse 2”`."""
    if label.startswith(API_KEY_PREFIX):
        return _("API key “%(name)s”") % {"name": label[len(API_KEY_PREFIX):]}
    if label.startswith(SYSTEM_PREFIX):
        task = label[len(SYSTEM_PREFIX):]
        return _("System (%(task)s)") % {"task": _SYSTEM_TASKS.get(task, task)}
    return str(_LABELS.get(label, label))
