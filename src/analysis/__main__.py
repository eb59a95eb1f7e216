import sys

from .service_client import run_via_service

# `run`, `briefing` and `validate` go to this project's warm service when one listens (service.py);
# otherwise, and for every other command, the command runs here
status = run_via_service(sys.argv[1:])
if status is None:
    from .cli import main
    status = main()
sys.exit(status)
