"""``python -m geoapp …``: the same command line as the ``geoapp`` script."""

import sys

from geoapp.cli import script

sys.exit(script())
