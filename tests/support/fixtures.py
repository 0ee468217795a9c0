"""Project-wide pytest fixtures: merchants, host-bound clients, committed data, a Celery worker,
a live server and Chromium."""
import os
import threading

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django_tenants.utils import schema_context

from loyalty.catalog import catalogs_forget
from tenants.models import Merchant
from tenants.routing import hosts_forget
from tests.support import baseline
from tests.support.baseline import owner_email
from tests.support.clients import HostClient, TillClient


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """The test database, migrated, with the operator and alice, bob and charlie provisioned.

    Set up here rather than by pytest-django, which only makes the database when some test
    asks for its `db` fixtures; tests that only use `committed` need it as well."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        databases = setup_databases(verbosity=0, interactive=False, keepdb=False)
        baseline.baseline_create()
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            # Threads of the worker and the live server may still hold connections, which would
            # keep the test database from being dropped.
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        teardown_databases(databases, verbosity=0)


@pytest.fixture(autouse=True)
def _back_to_public_schema():
    yield
    # A request or schema_context in the test may leave the connection on a merchant's schema.
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _empty_cache():
    yield
    cache.clear()
    caches["shared"].clear()
    # What this process keeps of the rows a test may have rolled back (tenant rows, catalogs).
    hosts_forget()
    catalogs_forget()


@pytest.fixture
def transactional_db():
    raise pytest.UsageError(
        "Use the `committed` fixture: pytest-django's flush would empty the merchants' rows."
    )


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Database access without a wrapping transaction: what the test writes is committed and
    visible to other connections (threads, the Celery worker, the live server). Afterwards the
    database is put back to the baseline."""
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            baseline.baseline_restore()


def _merchant(schema_name, django_db_blocker) -> Merchant:
    with django_db_blocker.unblock():
        return Merchant.objects.get(schema_name=schema_name)


@pytest.fixture
def alice(django_db_setup, django_db_blocker) -> Merchant:
    return _merchant("alice", django_db_blocker)


@pytest.fixture
def bob(django_db_setup, django_db_blocker) -> Merchant:
    return _merchant("bob", django_db_blocker)


@pytest.fixture
def charlie(django_db_setup, django_db_blocker) -> Merchant:
    return _merchant("charlie", django_db_blocker)


@pytest.fixture
def host_client():
    """`host_client(merchant_or_host)`: a test client whose requests go to that host."""

    def make(target) -> HostClient:
        host = target if isinstance(target, str) else target.primary_host
        return HostClient(host)

    return make


@pytest.fixture
def operator_client(settings) -> HostClient:
    return HostClient(settings.BASE_HOST)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup):
    """A real Celery worker (solo pool, in a thread) consuming from the test Redis."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app
    from tests.support import tasks  # noqa: F401  (registers the probe task with the worker)

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        yield app


@pytest.fixture(scope="session")
def live_site(django_db_setup):
    """The project's WSGI application served on 127.0.0.1 at a free port, in threads.

    Pages are reached by host name, e.g. http://alice.stammkunde.localhost:PORT/, which
    browsers resolve to the loopback address."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(WSGIHandler()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


class LiveServer:
    def __init__(self, port: int):
        self.port = port

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself (not by the server threads) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def fake_stripe(settings):
    """A fake Stripe API on 127.0.0.1 (tests.support.fake_stripe), with billing pointed at it and
    its webhook secret in place."""
    from tests.support.fake_stripe import FakeStripe

    fake = FakeStripe().start()
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_SECRET_KEY = "sk_test_fake_stripe"
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    try:
        yield fake
    finally:
        fake.stop()


def paired_terminal(merchant, name="Till 1"):
    from loyalty.actors import Actor
    from loyalty.services.terminals import terminal_create

    with schema_context(merchant.schema_name):
        return terminal_create(name=name, actor=Actor(label="test"))


@pytest.fixture
def till_client():
    """`till_client(merchant, email=owner)`: a browser paired as a new terminal of the merchant
    and signed in there (pass email=None to stay signed out)."""
    from loyalty.pos.auth import TERMINAL_COOKIE

    def make(merchant, email="owner", *, terminal_name="Till 1") -> TillClient:
        terminal, token = paired_terminal(merchant, terminal_name)
        client = TillClient(merchant.primary_host)
        client.cookies[TERMINAL_COOKIE] = token
        client.terminal, client.token = terminal, token
        if email:
            response = client.sign_in(owner_email(merchant.schema_name) if email == "owner" else email)
            assert response.status_code == 302, response.content.decode()
        return client

    return make


@pytest.fixture
def terminal_client(host_client):
    """`terminal_client(merchant)`: a client on the merchant's host, signed with a new terminal's token."""

    def make(merchant):
        _, token = paired_terminal(merchant)
        client = host_client(merchant)
        client.defaults["HTTP_AUTHORIZATION"] = f"Terminal {token}"
        return client

    return make


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request in one language leaves that language active in the thread (LocaleMiddleware):
    every test starts from the default again."""
    yield
    from django.utils import translation

    translation.deactivate()
