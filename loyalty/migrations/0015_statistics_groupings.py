"""Each day summed in several groupings, and the cards' months and years. The rollups written so far
have one grouping only: they are emptied and the refresh's mark set back, so that its next run (within
minutes, or `manage.py statistics_rebuild`) computes every day again from the ledger."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('loyalty', '0014_statistics_report_subscriptions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='StatisticsCardPeriod',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('span', models.CharField(choices=[('month', 'month'), ('year', 'year')], max_length=5)),
                ('starts_on', models.DateField()),
                ('visits', models.IntegerField(default=0)),
                ('bookings', models.IntegerField(default=0)),
                ('revenue_cents', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name='statisticsday',
            name='grouping',
            field=models.CharField(default='all', max_length=16),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name='statisticsday',
            index=models.Index(fields=['grouping', 'day'], name='statistics_grouping_day'),
        ),
        migrations.AddField(
            model_name='statisticscardperiod',
            name='card',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='loyalty.card'),
        ),
        migrations.AddConstraint(
            model_name='statisticscardperiod',
            constraint=models.UniqueConstraint(fields=('span', 'starts_on', 'card'), name='statistics_card_period'),
        ),
        migrations.RunSQL(
            "DELETE FROM loyalty_statisticsday; DELETE FROM loyalty_statisticscardday; "
            "UPDATE loyalty_statisticsstate SET booking_id_done = 0, refreshed_at = NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
