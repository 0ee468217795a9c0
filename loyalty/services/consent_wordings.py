"""The wordings of the consents a person is asked for, in versions: what the portal and the till
show, and what every Consent row points to (its `wording_version`)."""
from loyalty.models import ConsentWording


def consent_wordings_current() -> dict[str, ConsentWording]:
    """The newest wording of every purpose."""
    current = {}
    for wording in ConsentWording.objects.order_by("purpose", "-version"):
        current.setdefault(wording.purpose, wording)
    return current


def consent_wording_current(purpose: str) -> ConsentWording | None:
    return ConsentWording.objects.filter(purpose=purpose).order_by("-version").first()
