"""`python -m ganstudio.app` opens the app."""

import sys

from ganstudio.app import run_app
from ganstudio.errors import GanStudioError

try:
    code = run_app(sys.argv)
except GanStudioError as e:  # e.g. Qt's X11 libraries missing: a message, not a traceback
    print(f"error: {e}", file=sys.stderr)
    code = 1
raise SystemExit(code)
