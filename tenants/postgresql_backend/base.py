"""django-tenants' PostgreSQL backend, minus one statement per request: choosing the schema the
connection is already on keeps the search_path it set, instead of setting it again.

django-tenants forgets the search_path whenever PostgreSQL may have dropped it (rollback, a
rolled-back savepoint, a closed connection), so keeping it across an unchanged choice is safe."""
from django_tenants.postgresql_backend import base


class DatabaseWrapper(base.DatabaseWrapper):
    def set_tenant(self, tenant, include_public=True):
        search_path_set = self.search_path_set_schemas
        super().set_tenant(tenant, include_public)
        if search_path_set is not None and self._get_cursor_search_paths() == search_path_set:
            self.search_path_set_schemas = search_path_set
