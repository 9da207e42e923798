# `manage.py mint --user NAME KIND:AGE ...`: for each KIND (refresh or access) and AGE (seconds), a
# token as KlearStack would have issued it AGE seconds ago, one a line, minted with SimpleJWT's own
# classes (iat and exp moved back together). The tests use it for a refresh token stored hours ago
# and an access token that has expired; one command for many, since each start of Django costs.
# Nothing is read from a database: the server's in-memory one is its own.
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework_simplejwt.tokens import AccessToken

from klearstack.tokens import refresh_token_class
from klearstack.users import configured_users


class Command(BaseCommand):
    help = "Print refresh or access tokens for a user, each issued AGE seconds ago."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True)
        parser.add_argument("tokens", nargs="+", metavar="KIND:AGE")

    def handle(self, *args, user, tokens, **options):
        # The user as the server has it (same id), without building its tables here.
        ids = {entry["username"]: user_id for user_id, entry in configured_users()}
        if user not in ids:
            raise CommandError(f"No configured user {user!r}.")
        account = get_user_model()(id=ids[user], username=user)
        for spec in tokens:
            kind, _, age = spec.partition(":")
            if kind not in ("refresh", "access") or not age.isdigit():
                raise CommandError(f"Expected refresh:SECONDS or access:SECONDS, got {spec!r}.")
            token_class = refresh_token_class() if kind == "refresh" else AccessToken
            token = token_class.for_user(account)
            issued = token.current_time - timedelta(seconds=int(age))
            token.set_iat(at_time=issued)
            token.set_exp(from_time=issued)
            self.stdout.write(str(token))
