"""Run under `python3 -I` by bin/detect and bin/build: -I ignores PYTHON* variables and does not add this
directory to sys.path, so it is added here explicitly."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from python_cnb.__main__ import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
