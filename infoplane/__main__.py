"""``python -m infoplane``: the same command as the ``infoplane`` console script."""

import sys

from infoplane.cli import main

if __name__ == "__main__":
    sys.exit(main())
