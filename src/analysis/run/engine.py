"""papermill's engine for a kernel the pool started (kernels.py): kept apart so that starting kernels does not wait
for papermill's import (about 0.25 s at the start of every run, before the first kernel could start)."""
from __future__ import annotations

import atexit

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

ENGINE = "haimen_pooled"


class PooledEngine(NBClientEngine):
    """papermill's nbclient engine, run on a kernel the pool started (km=...), closing its client afterwards."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        client = PapermillNotebookClient(nb_man, **merge_kwargs(
            kwargs, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
            log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file))
        try:
            return client.execute()
        finally:
            if client.kc is not None:          # the kernel stays for the pool; its client's sockets do not
                client.kc.stop_channels()
            # nbclient registers an atexit clean-up per run that holds the client and its executed notebook
            # (charts included) until the process ends: a replay worker grew by 50-80 MB a quarter
            atexit.unregister(client._cleanup_kernel)


papermill_engines.register(ENGINE, PooledEngine)
