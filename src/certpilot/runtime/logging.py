"""Structured logs: one line per event, `key=value` or JSON, never key material.

Extra fields passed as `logger.info("issued", extra={"certificate": "ns/web"})` become fields of
the line. Every message, field and traceback passes through `redact()` before it is written.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

REDACTED = "[redacted]"
LogFormat = Literal["text", "json"]

# A PEM private key block (RSA/EC/ENCRYPTED/OPENSSH/...); an unterminated one is cut to the end.
_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL
)
# `name=value` / `name: value` / `"name": "value"` where the name says the value is a secret.
_SECRET_ASSIGNMENT = re.compile(
    r"""(?ix)
    (["']?\b(?:password|passwd|secret|[a-z_]*secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token
    |token[_-]?secret|bearer|key[_-]?authorization|keyauthorization|private[_-]?key|tsig[_-]?key[_-]?secret)\b["']?
    \s*[:=]\s*)(["']?)([^\s"',}]+)"""
)
_AUTHORIZATION_HEADER = re.compile(r"(?i)(\bauthorization\b\s*[:=]\s*\"?)(bearer|basic|token)\s+[^\s\",}]+")
# Long base64 runs are decoded and dropped when they hide a PEM private key (Secret data, tls.key).
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")


def _hides_private_key(candidate: str) -> bool:
    try:
        decoded = base64.b64decode(candidate + "=" * (-len(candidate) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return b"PRIVATE KEY-----" in decoded


def redact(text: str) -> str:
    """Text with private keys, base64-encoded private keys and secret-looking values replaced."""
    text = _PEM_PRIVATE_KEY.sub(REDACTED, text)
    text = _BASE64_RUN.sub(lambda m: REDACTED if _hides_private_key(m.group(0)) else m.group(0), text)
    text = _AUTHORIZATION_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)} {REDACTED}", text)
    return _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRIBUTES and not k.startswith("_")
    }


class RedactingFilter(logging.Filter):
    """Rewrites each record so no handler can emit key material: message, fields and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for name, value in _fields(record).items():
            setattr(record, name, redact(value) if isinstance(value, str) else _redact_value(value))
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _redact_value(value: object) -> object:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return redact(str(value))


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or any(c.isspace() or c in '"=' for c in text):
        return json.dumps(text)
    return text


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class KeyValueFormatter(logging.Formatter):
    """`ts=... level=info logger=... msg="..." key=value ...`, one line (newlines escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        parts = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_fields(record),
        }
        if record.exc_text:
            parts["error"] = record.exc_text
        return " ".join(f"{k}={_quote(v)}" for k, v in parts.items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(
            {
                k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
                for k, v in _fields(record).items()
            }
        )
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, separators=(",", ":"))


def setup_logging(level: str | int = "INFO", fmt: LogFormat = "text", stream: TextIO | None = None) -> None:
    """Replace the root logger's handlers with one redacting, one-line-per-event handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # One line per HTTP request (every Kubernetes API call) is noise at INFO: keep its warnings.
    for chatty in ("httpx", "httpx2", "httpcore"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
