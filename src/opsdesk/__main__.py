"""The ``opsdesk`` command: runs any Django management command."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(argv if argv is not None else sys.argv[1:])
    _apply_data_dir(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opsdesk", *args])


def _apply_data_dir(args: list[str]) -> None:
    """``--data-dir DIR`` must be known before settings load: it decides the database."""
    for index, arg in enumerate(args):
        if arg == "--data-dir" and index + 1 < len(args):
            os.environ["OPSDESK_DATA_DIR"] = args[index + 1]
        elif arg.startswith("--data-dir="):
            os.environ["OPSDESK_DATA_DIR"] = arg.split("=", 1)[1]


if __name__ == "__main__":
    main()
