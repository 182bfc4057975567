"""``python -m qbattery``: the same as the ``qbattery`` command."""

from __future__ import annotations

import sys

from qbattery.cli import main

if __name__ == "__main__":
    sys.exit(main())
