"""A bounded Schemathesis run over the REST API's own OpenAPI schema, as a terminal of alice's with
a card and programs to book on: whatever the generated input, the answer is never a server error."""
import uuid

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from loyalty.actors import Actor
from loyalty.services.terminals import terminal_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, keeping the test's database connection (and transaction):
    a request does not close it, as Django's test client does not."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield WSGIHandler()
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_schema(alice, shop, wsgi_app):
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app,
                                          headers={"Host": alice.primary_host, "Accept": "application/json"})


@pytest.fixture
def terminal_token(alice):
    with schema_context("alice"):
        return terminal_create(name="Fuzz", actor=Actor(label="test"))[1]


def test_no_generated_request_gets_a_server_error(api_schema, alice, terminal_token):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    tried = []

    for operation in operations:
        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers={"Host": alice.primary_host,
                                          "Authorization": f"Terminal {terminal_token}",
                                          "Idempotency-Key": str(uuid.uuid4())})
            tried.append((case.operation.method, case.operation.path, response.status_code))
            case.validate_response(response, checks=[not_a_server_error])

        check()

    assert len(operations) >= 15  # every booking, look-up and the programs
    assert {path for _method, path, _status in tried} == {operation.path for operation in operations}
    assert len(tried) > 10 * len(operations)
