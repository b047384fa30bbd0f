from __future__ import annotations

import sys
from pathlib import Path

# Tests run against the checkout (CI installs it too; this keeps `pytest` in a
# fresh clone working before `pip install`).
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
