"""`migrate` is `migrate_schemas` in a multi-tenant project (and the test runner calls it)."""
from tenants.management.commands.migrate_schemas import Command  # noqa: F401
