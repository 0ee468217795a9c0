"""New merchant schemas from a recording of the template schema's DDL.

`migrate_schemas` migrates the template schema `merchant_template` and then records its DDL with
`pg_dump --schema-only` (plus the names of the tables whose rows every schema starts with: the
migration history, content types, permissions). A new merchant's schema replays that DDL under
its own name and copies those rows: plain DDL, so the time stays the same however many merchants
exist, unlike a clone function that searches the catalogue for every object."""
import re
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection

from tenants.models import SchemaTemplate

_SESSION_SETTING = re.compile(r"^(SET \w+ = .*;|SELECT pg_catalog\.set_config\(.*\);|\\\S+.*)$")


def _pg_dump_binary() -> str:
    """pg_dump of the server's major version (or newer): an older one refuses the dump."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"),
                        key=lambda path: int(path.parent.parent.name), reverse=True)
    for candidate in candidates:
        if int(candidate.parent.parent.name) >= major:
            return str(candidate)
    found = shutil.which("pg_dump")
    if found is None:
        raise RuntimeError("pg_dump is needed to record the template schema (Debian: postgresql-client).")
    return found


def _ddl_of(schema_name: str) -> str:
    db = settings.DATABASES["default"]
    command = [_pg_dump_binary(), "--schema-only", "--no-owner", "--no-privileges", "--no-comments",
               f"--schema={schema_name}", "--host", str(db.get("HOST") or "localhost"),
               "--port", str(db.get("PORT") or 5432), "--username", db.get("USER") or "postgres",
               db["NAME"]]
    environment = {"PGPASSWORD": db.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"}
    dump = subprocess.run(command, capture_output=True, text=True, check=True, env=environment).stdout
    # Only the statements: session settings (the search_path above all) would outlive the replay
    # on this connection, and psql's backslash commands are not SQL.
    lines = [line for line in dump.splitlines()
             if not line.startswith("--") and not _SESSION_SETTING.match(line)]
    return "\n".join(lines).strip() + "\n"


def _tables_with_rows(schema_name: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
                       [schema_name])
        tables = [row[0] for row in cursor.fetchall()]
        filled = []
        for table in tables:
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{schema_name}"."{table}")')
            if cursor.fetchone()[0]:
                filled.append(table)
    return filled


def schema_template_record() -> SchemaTemplate:
    """Record the (freshly migrated) template schema for new merchants."""
    template = settings.TENANT_TEMPLATE_SCHEMA
    recording = SchemaTemplate.objects.create(
        schema_name=template, ddl=_ddl_of(template), tables_with_rows=_tables_with_rows(template)
    )
    SchemaTemplate.objects.exclude(pk=recording.pk).delete()
    return recording


def schema_create_from_template(schema_name: str) -> bool:
    """Create `schema_name` from the latest recording; False when there is none yet."""
    recording = SchemaTemplate.objects.order_by("-pk").first()
    if recording is None:
        return False
    old, new = recording.schema_name, schema_name
    ddl = re.sub(rf"\b{re.escape(old)}\.", f'"{new}".', recording.ddl)
    ddl = ddl.replace(f"CREATE SCHEMA {old};", f'CREATE SCHEMA "{new}";')
    with connection.cursor() as cursor:
        cursor.execute(ddl)
        for table in recording.tables_with_rows:
            cursor.execute(f'INSERT INTO "{new}"."{table}" SELECT * FROM "{old}"."{table}"')
            # Identity columns continue after the copied rows.
            cursor.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attidentity <> ''",
                [f'"{new}"."{table}"'],
            )
            for (column,) in cursor.fetchall():
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                    f'(SELECT coalesce(max("{column}"), 0) + 1 FROM "{new}"."{table}"), false)',
                    [f'"{new}"."{table}"', column],
                )
    return True
