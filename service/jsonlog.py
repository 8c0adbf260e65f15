"""One JSON object per log line: the server's log format, used by the server process and by the
worker children it starts (service.child)."""
from __future__ import annotations

import json
import logging


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if msg.startswith("{"):
            return msg  # already a JSON object (the access log)
        return json.dumps({"level": record.levelname.lower(), "logger": record.name, "message": msg},
                          ensure_ascii=False)
