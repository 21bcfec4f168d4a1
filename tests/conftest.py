"""Test configuration: make the project root importable (app, margin, charts, views, lessons, ui, scripts)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
