#!/usr/bin/env python
"""Django's command-line utility for Aftercare."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # A shell with no deployment settings at all (neither DJANGO_DEBUG nor a secret
    # key) is a developer's checkout: commands run on the development defaults, as
    # `make run` does. A deployment sets both (docker-compose.yml), and the web and
    # worker processes never pass through here: they still refuse to start without
    # a secret key.
    if "DJANGO_DEBUG" not in os.environ and "DJANGO_SECRET_KEY" not in os.environ:
        os.environ["DJANGO_DEBUG"] = "true"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
