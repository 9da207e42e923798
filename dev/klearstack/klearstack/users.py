# The configured users, each in a Django group named for its company, in a fresh in-memory database.
# Created in the config's order, so every process that sets them up (gunicorn's master, `manage.py
# mint`, a restart after an outage) gives each user the same id, and a token's user_id stays valid.
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from .settings import CONFIG


def set_up_users():
    call_command("migrate", verbosity=0, interactive=False)
    for entry in CONFIG.get("users", []):
        user = get_user_model().objects.create_user(entry["username"], password=entry["password"])
        user.groups.set([Group.objects.get_or_create(name=entry["company"])[0]])
