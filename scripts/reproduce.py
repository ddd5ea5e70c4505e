"""Reproduce published implicit-bias claims: train, read the runs back, print PASS / FAIL / NOT CHECKED.

To run: python scripts/reproduce.py --list
        python scripts/reproduce.py NAME [--quick] [--seeds N] [--out DIR] [--set KEY=VALUE ...]
"""

import sys

from ibias.run.reproduce import main

if __name__ == "__main__":
    sys.exit(main())
