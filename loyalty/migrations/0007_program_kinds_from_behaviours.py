"""Program.kind's choices come from the behaviours in loyalty.programs."""
import loyalty.programs
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('loyalty', '0006_fewer_ledger_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='program',
            name='kind',
            field=models.CharField(choices=loyalty.programs.program_kinds, max_length=10, verbose_name='kind'),
        ),
    ]
