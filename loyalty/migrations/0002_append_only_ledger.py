"""The ledger is append-only in the database too: no UPDATE or DELETE on bookings, entries and
the audit log, whoever connects."""
from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION loyalty_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""
TABLES = ["loyalty_booking", "loyalty_ledgerentry", "loyalty_auditlog"]


def trigger_sql(table: str) -> str:
    return (f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION loyalty_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS loyalty_refuse_change() CASCADE;"),
        *[migrations.RunSQL(trigger_sql(table), f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
          for table in TABLES],
    ]
