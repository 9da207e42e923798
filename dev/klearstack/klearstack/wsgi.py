# gunicorn's entry. Loaded once in gunicorn's master (the helper starts it with --preload), so the
# in-memory tables and the configured users are set up before the workers fork, each with a copy.
import os

import django
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klearstack.settings")
django.setup()

from .users import set_up_users  # noqa: E402

set_up_users()
application = WSGIHandler()
