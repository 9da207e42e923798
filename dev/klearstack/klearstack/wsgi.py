# gunicorn's entry. Loaded once in gunicorn's master (the helper starts it with --preload), so the
# tables and the configured users are set up before any worker forks, and never twice at once.
import os

import django
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klearstack.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from .settings import CONFIG  # noqa: E402


def _set_up_users():
    call_command("migrate", verbosity=0, interactive=False)
    users = get_user_model().objects
    for entry in CONFIG.get("users", []):
        user = users.filter(username=entry["username"]).first() or users.create_user(
            entry["username"]
        )
        user.set_password(entry["password"])
        user.save()
        user.groups.set([Group.objects.get_or_create(name=entry["company"])[0]])


_set_up_users()
# The workers must not share the master's sqlite connection.
connections.close_all()
application = WSGIHandler()
