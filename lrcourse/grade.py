"""Command line of the grader: ``python -m lrcourse.grade --help``.

The grader itself is ``lrcourse.teaching.grading``.
"""

import sys

from .teaching.grading import main

if __name__ == "__main__":
    sys.exit(main())
