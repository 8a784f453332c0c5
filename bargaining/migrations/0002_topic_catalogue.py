from django.db import migrations

from bargaining.seed import load_catalogue


class Migration(migrations.Migration):
    dependencies = [("bargaining", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
