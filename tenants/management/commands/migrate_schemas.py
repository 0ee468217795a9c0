"""`migrate_schemas` that also keeps the template schema, which new merchants are cloned from,
migrated to the same state as every merchant schema."""
from django.conf import settings
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.utils import get_public_schema_name, schema_exists

from tenants.template import schema_template_record


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        # Only on a run over all tenants; a run for one named schema leaves the template alone.
        if self.sync_tenant and self.schema_name in (None, get_public_schema_name()):
            self.migrate_template_schema()

    def migrate_template_schema(self):
        template = settings.TENANT_TEMPLATE_SCHEMA
        if not schema_exists(template):
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{template}"')
        executor = self.executor_for_template()
        executor.run_migrations(tenants=[template])
        connection.set_schema_to_public()
        schema_template_record()

    def executor_for_template(self):
        from django_tenants.management.commands.migrate_schemas import GET_EXECUTOR_FUNCTION

        # The standard executor migrates in this process; the template is one schema.
        return GET_EXECUTOR_FUNCTION(codename="standard")(self.args, self.options)
