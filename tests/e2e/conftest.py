"""The end-to-end tests reuse the telephony tests' peer helpers (``telephony_peers``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "telephony"))
