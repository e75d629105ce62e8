"""gunicorn's settings for this service; gunicorn reads this file from its working directory.

- Its own log lines (errors, and the access log when ``--access-logfile`` is given) are
  redacted like every other line (``core.logs``) and written as ``LOG_FORMAT`` says; the
  access line ends with the request id we answered with.
- A worker that exits has its live metric files dropped (``core.metrics``).
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn import glogging

from core import logs
from core.config import Settings

access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms '
    "request_id=%({x-request-id}o)s"
)


class Logger(glogging.Logger):  # type: ignore[misc]
    def setup(self, cfg: Any) -> None:
        logs.install()
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logs.formatter(Settings.from_env().effective_log_format))


logger_class = Logger


def child_exit(_server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        from core.metrics import process_identity

        multiprocess.mark_process_dead(process_identity(worker.pid))
