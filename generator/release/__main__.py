"""``python -m generator.release``."""

import sys

from .cli import main

sys.exit(main())
