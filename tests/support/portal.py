"""The customer portal in tests: a client on a merchant's host with a cardholder signed in."""
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django_tenants.utils import schema_context

from loyalty.models import Cardholder
from loyalty.services.portal_accounts import portal_session_hash
from portal.session import SESSION_CARDHOLDER, SESSION_HASH
from tests.support.clients import HostClient


def portal_signed_in(merchant, cardholder: Cardholder, *, language: str = "en") -> HostClient:
    """A client on the merchant's host with the cardholder signed in to the portal: the session
    made as the sign-in makes it, in the merchant's schema."""
    with schema_context(merchant.schema_name):
        cardholder = Cardholder.objects.get(pk=cardholder.pk)
        store = SessionStore()
        store[SESSION_CARDHOLDER] = cardholder.pk
        store[SESSION_HASH] = portal_session_hash(cardholder)
        store.create()
    client = HostClient(merchant.primary_host, HTTP_ACCEPT_LANGUAGE=language)
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return client
