"""Logging filters."""

import logging


class QuietForbidden(logging.Filter):
    """A refused page (403) is one line in the log, not a traceback: it is an answer the
    application meant to give, not a fault."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
