"""The separate once-a-minute mail-poll schedule is gone: core.tasks.sweep kicks the
`email_poll` queue every minute already."""

from django.db import migrations


def drop_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="email-poll").delete()


class Migration(migrations.Migration):
    dependencies = [("email_channel", "0001_initial"), ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]

    operations = [migrations.RunPython(drop_schedule, migrations.RunPython.noop)]
