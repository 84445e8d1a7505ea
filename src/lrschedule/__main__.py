"""``python -m lrschedule`` and the ``lrschedule`` console script: see :mod:`lrschedule.cli`.

With no arguments, a demo table of a few schedules on the default backend (NumPy); ``show``,
``plot``, ``list`` and ``demo`` are the subcommands (``lrschedule --help``).
"""

from __future__ import annotations

from lrschedule.cli import demo, main

__all__ = ["demo", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
