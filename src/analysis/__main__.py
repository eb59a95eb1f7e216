import sys

from analysis.cli import INTERRUPTED_HERE, main

try:
    status = main()
except KeyboardInterrupt:
    print("\n" + INTERRUPTED_HERE, file=sys.stderr)
    status = 130
sys.exit(status)
