from django.db import migrations

from legal_checkup.seed import load_seed_checklist


class Migration(migrations.Migration):
    dependencies = [("legal_checkup", "0001_initial")]

    operations = [migrations.RunPython(load_seed_checklist, migrations.RunPython.noop)]
