"""`{% consent_wordings_current as wordings %}`: the current wording of every purpose, in the order
of Consent.Purpose, for pages whose views do not pass them (the portal's privacy notice)."""
from django import template

from loyalty.models import Consent
from loyalty.services.consent_wordings import consent_wordings_current as wordings_current

register = template.Library()


@register.simple_tag
def consent_wordings_current():
    """[(purpose, label, wording or None), …]"""
    current = wordings_current()
    return [(purpose, label, current.get(purpose)) for purpose, label in Consent.Purpose.choices]
