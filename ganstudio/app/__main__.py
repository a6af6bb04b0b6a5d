"""`python -m ganstudio.app` opens the app."""

import sys

from ganstudio.app import run_app

raise SystemExit(run_app(sys.argv))
