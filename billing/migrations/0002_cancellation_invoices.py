"""A cancellation is a Stornorechnung (not a Gutschrift): the kind and its link are renamed, and a
cancelled invoice no longer keeps its month from being invoiced again."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0001_initial'),
        ('tenants', '0006_terminal_limit_next'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='invoice',
            name='invoice_once_per_merchant_and_month',
        ),
        migrations.RemoveConstraint(
            model_name='invoice',
            name='invoice_credited_once',
        ),
        migrations.RemoveConstraint(
            model_name='invoice',
            name='invoice_credit_note_names_its_invoice',
        ),
        migrations.RenameField(model_name='invoice', old_name='credits', new_name='cancels'),
        migrations.AlterField(
            model_name='invoice',
            name='cancels',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cancellations', to='billing.invoice', verbose_name='cancels invoice'),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='kind',
            field=models.CharField(choices=[('invoice', 'invoice'), ('cancellation', 'cancellation')], default='invoice', max_length=12, verbose_name='kind'),
        ),
        migrations.RunSQL(
            "UPDATE billing_invoice SET kind = 'cancellation' WHERE kind = 'credit_note'",
            "UPDATE billing_invoice SET kind = 'credit_note' WHERE kind = 'cancellation'",
        ),
        migrations.AlterField(
            model_name='invoice',
            name='status',
            field=models.CharField(choices=[('draft', 'draft'), ('open', 'open'), ('paid', 'paid'), ('failed', 'payment failed'), ('cancelled', 'cancelled')], default='draft', max_length=10, verbose_name='status'),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'invoice'), models.Q(('status', 'cancelled'), _negated=True)), fields=('merchant', 'period'), name='invoice_once_per_merchant_and_month'),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'cancellation')), fields=('cancels',), name='invoice_cancelled_once'),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('cancels__isnull', True), ('kind', 'invoice')), models.Q(('cancels__isnull', False), ('kind', 'cancellation')), _connector='OR'), name='invoice_cancellation_names_its_invoice'),
        ),
    ]
