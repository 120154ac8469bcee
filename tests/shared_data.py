"""Where the real data sets are: ``shared/data`` beside the repository (as on CI), or
``PORTOLAN_SHARED_DATA``."""

import os
from pathlib import Path

SHARED_DATA = Path(
    os.environ.get("PORTOLAN_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
