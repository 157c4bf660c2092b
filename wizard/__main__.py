"""`python -m wizard` is `convwiz`."""

from wizard.cli import main

raise SystemExit(main())
