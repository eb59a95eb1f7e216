import sys

from .service_client import run_via_service

# `run`, `briefing`, `validate` and `replay` go to this project's warm service when one listens (service.py);
# otherwise, and for every other command, the command runs here
status = run_via_service(sys.argv[1:])
if status is None:
    from .cli import INTERRUPTED_HERE, main
    try:
        status = main()
    except KeyboardInterrupt:
        print("\n" + INTERRUPTED_HERE, file=sys.stderr)
        status = 130
sys.exit(status)
