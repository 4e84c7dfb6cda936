#!/usr/bin/env python
"""Django's command-line utility for keyvault."""

from __future__ import annotations

import sys


def main() -> None:
    from keyvault_site.command_line import main as run

    run(sys.argv)


if __name__ == "__main__":
    main()
