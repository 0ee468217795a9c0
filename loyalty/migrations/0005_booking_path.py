"""The booking path: idempotency keys in scopes (a client's device or person, or the system),
open claims on accounts and entries, points for top-ups, voucher sales and prepaid payments where a
program says so, and no TRUNCATE of the append-only tables."""
from django.conf import settings
from django.db import migrations, models

APPEND_ONLY_TABLES = ["loyalty_booking", "loyalty_ledgerentry", "loyalty_auditlog"]


class Migration(migrations.Migration):

    dependencies = [
        ('loyalty', '0004_back_office_permission'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *[migrations.RunSQL(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION loyalty_refuse_change();",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
        ) for table in APPEND_ONLY_TABLES],
        migrations.RemoveConstraint(
            model_name='ledgerentry',
            name='entry_amount_not_zero',
        ),
        migrations.AddField(
            model_name='account',
            name='claim',
            field=models.BigIntegerField(default=0, verbose_name='open claim'),
        ),
        migrations.AddField(
            model_name='booking',
            name='actor_label',
            field=models.CharField(blank=True, max_length=100, verbose_name='booked by'),
        ),
        migrations.AddField(
            model_name='booking',
            name='idempotency_scope',
            field=models.CharField(default='system', max_length=40),
            preserve_default=False,
        ),
        # The scope of the keys booked so far, as Actor.idempotency_scope gives it. Bookings are
        # append-only: their trigger is set aside for this one statement.
        migrations.RunSQL(
            """
            ALTER TABLE loyalty_booking DISABLE TRIGGER loyalty_booking_append_only;
            UPDATE loyalty_booking SET idempotency_scope = CASE
                WHEN terminal_id IS NOT NULL THEN 'terminal:' || terminal_id
                WHEN staff_user_id IS NOT NULL THEN 'user:' || staff_user_id
                ELSE 'system' END;
            ALTER TABLE loyalty_booking ENABLE TRIGGER loyalty_booking_append_only;
            """,
            migrations.RunSQL.noop,
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='claim_change',
            field=models.BigIntegerField(default=0, verbose_name='change of the open claim'),
        ),
        migrations.AddField(
            model_name='program',
            name='points_on_prepaid_payments',
            field=models.BooleanField(default=False, verbose_name='points for payments with prepaid money'),
        ),
        migrations.AddField(
            model_name='program',
            name='points_on_top_ups',
            field=models.BooleanField(default=False, verbose_name='points for prepaid top-ups'),
        ),
        migrations.AddField(
            model_name='program',
            name='points_on_voucher_sales',
            field=models.BooleanField(default=False, verbose_name='points for gift vouchers sold'),
        ),
        migrations.AlterField(
            model_name='booking',
            name='idempotency_key',
            field=models.CharField(max_length=100, verbose_name='idempotency key'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('claim__gte', 0)), name='account_claim_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='booking',
            constraint=models.UniqueConstraint(fields=('idempotency_scope', 'idempotency_key'), name='booking_idempotency_key_unique_in_scope'),
        ),
        migrations.AddConstraint(
            model_name='ledgerentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount', 0), _negated=True), models.Q(('claim_change', 0), _negated=True), _connector='OR'), name='entry_changes_something'),
        ),
    ]
