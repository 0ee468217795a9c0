"""Fewer indexes for every booking to update: none for the card where a composite one leads with it,
partial ones for foreign keys that are mostly empty, none for entries' lots."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('loyalty', '0005_booking_path'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='account',
            name='card',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='accounts', to='loyalty.card'),
        ),
        migrations.AlterField(
            model_name='booking',
            name='card',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='bookings', to='loyalty.card'),
        ),
        migrations.AlterField(
            model_name='booking',
            name='returned_sale',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='returns', to='loyalty.booking'),
        ),
        migrations.AlterField(
            model_name='booking',
            name='reward',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='loyalty.reward'),
        ),
        migrations.AlterField(
            model_name='booking',
            name='staff_user',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='lot',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='loyalty.lot'),
        ),
        migrations.AddIndex(
            model_name='booking',
            index=models.Index(condition=models.Q(('staff_user__isnull', False)), fields=['staff_user'], name='booking_by_staff_user'),
        ),
        migrations.AddIndex(
            model_name='booking',
            index=models.Index(condition=models.Q(('reward__isnull', False)), fields=['reward'], name='booking_by_reward'),
        ),
        migrations.AddIndex(
            model_name='booking',
            index=models.Index(condition=models.Q(('returned_sale__isnull', False)), fields=['returned_sale'], name='booking_by_returned_sale'),
        ),
    ]
