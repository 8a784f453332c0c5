from django.db import migrations


def forwards(apps, schema_editor):
    from core import seed

    seed.seed_roles(apps.get_model("auth", "Group"))
    seed.seed_categories(apps.get_model("core", "Category"))
    seed.seed_holidays(apps.get_model("core", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
