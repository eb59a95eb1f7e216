"""Stage 5, drive: a quarter's notebooks executed with papermill on reused kernels and published whole (pipeline),
the replay of many quarters in worker processes, and the guards that keep publishing safe. Imports everything
below it; only cli.py imports it."""
