# The configured users, each in a Django group named for its company, in a fresh in-memory database.
# Each user's id is its place in the config (1, 2, …), so a token minted in another process
# (`manage.py mint`) or before a restart (an outage) names the same user.
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from .settings import CONFIG


def configured_users():
    """(id, entry) for each configured user."""
    return list(enumerate(CONFIG.get("users", []), start=1))


def set_up_users():
    call_command("migrate", verbosity=0, interactive=False)
    for user_id, entry in configured_users():
        user = get_user_model().objects.create_user(
            entry["username"], password=entry["password"], id=user_id
        )
        user.groups.set([Group.objects.get_or_create(name=entry["company"])[0]])
