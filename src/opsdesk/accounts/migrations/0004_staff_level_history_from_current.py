"""People who had a staff level before the history existed keep it for all their past work."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

SINCE = dt.date(2000, 1, 1)


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    UserStaffLevel = apps.get_model("accounts", "UserStaffLevel")
    now = timezone.now()
    UserStaffLevel.objects.bulk_create([
        UserStaffLevel(user_id=user_id, level_id=level_id, effective_from=SINCE, created_at=now)
        for user_id, level_id in User.objects.filter(staff_level__isnull=False).values_list("id", "staff_level_id")
        if not UserStaffLevel.objects.filter(user_id=user_id).exists()
    ])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_staff_level_history"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
