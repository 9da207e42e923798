#!/usr/bin/env python3
# Django's command line for the reference KlearStack (see klearstack/settings.py); `mint` is ours.
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klearstack.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
