"""The operator's audit log, append-only in the database as the merchants' ledgers are."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('hq', '0002_print_orders'),
        ('tenants', '0004_schema_template'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            """
            CREATE OR REPLACE FUNCTION hq_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'restrict_violation';
            END;
            $$ LANGUAGE plpgsql;
            """,
            "DROP FUNCTION IF EXISTS hq_refuse_change() CASCADE;",
        ),
        migrations.CreateModel(
            name='OperatorAuditLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(max_length=60, verbose_name='action')),
                ('actor_label', models.CharField(blank=True, max_length=100, verbose_name='by')),
                ('object_type', models.CharField(blank=True, max_length=60)),
                ('object_id', models.CharField(blank=True, max_length=60)),
                ('before', models.JSONField(blank=True, default=dict, verbose_name='before')),
                ('after', models.JSONField(blank=True, default=dict, verbose_name='after')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='time')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('merchant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='operator_audit_log', to='tenants.merchant', verbose_name='merchant')),
            ],
            options={
                'verbose_name': 'operator audit log entry',
                'verbose_name_plural': 'operator audit log',
                'ordering': ['-id'],
                'indexes': [models.Index(fields=['merchant', '-id'], name='operator_audit_by_merchant')],
            },
        ),
        migrations.RunSQL(
            "CREATE TRIGGER hq_operatorauditlog_append_only BEFORE UPDATE OR DELETE ON hq_operatorauditlog "
            "FOR EACH ROW EXECUTE FUNCTION hq_refuse_change();"
            "CREATE TRIGGER hq_operatorauditlog_no_truncate BEFORE TRUNCATE ON hq_operatorauditlog "
            "FOR EACH STATEMENT EXECUTE FUNCTION hq_refuse_change();",
            "DROP TRIGGER IF EXISTS hq_operatorauditlog_append_only ON hq_operatorauditlog;"
            "DROP TRIGGER IF EXISTS hq_operatorauditlog_no_truncate ON hq_operatorauditlog;",
        ),
    ]
