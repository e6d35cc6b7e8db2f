"""Command line of the student edition: ``python -m lrcourse.student --help``.

The edition itself is written by ``lrcourse.teaching.edition``.
"""

import sys

from .teaching.edition import main

if __name__ == "__main__":
    sys.exit(main())
