"""The frozen program's entry point: `convwiz` as PyInstaller builds it.

The same as the installed `convwiz` script (`wizard.cli.main`): no arguments open the window,
and the window's worker processes start as `convwiz _ui-child` (see `wizard.ui.workers`).
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def main() -> int:
    multiprocessing.freeze_support()
    # the windowed build (convwiz-gui.exe) has no console: give print() somewhere to go
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
    from wizard.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
