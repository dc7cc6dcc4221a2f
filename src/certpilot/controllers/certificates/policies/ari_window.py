"""The CA's ACME Renewal Information as the renewal-info controller keeps it on a certificate
Secret (annotations), read back by the renewal schedule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from certpilot.api import annotations as ann


@dataclass(frozen=True)
class StoredRenewalInfo:
    """cert_id: the certificate described. window_*: its suggested window, when the CA gave one.
    next_poll: when to ask the CA again."""

    cert_id: str
    window_start: datetime | None
    window_end: datetime | None
    next_poll: datetime | None


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def stored_renewal_info(annotations: Mapping[str, str] | None) -> StoredRenewalInfo | None:
    """What the annotations record, None without a certificate identifier. Unreadable times read
    as absent (the controller then asks the CA again)."""
    found = annotations or {}
    cert_id = found.get(ann.ARI_CERT_ID)
    if not cert_id:
        return None
    return StoredRenewalInfo(
        cert_id=cert_id,
        window_start=_time(found.get(ann.ARI_WINDOW_START)),
        window_end=_time(found.get(ann.ARI_WINDOW_END)),
        next_poll=_time(found.get(ann.ARI_NEXT_POLL)),
    )


def renewal_info_annotations(info: StoredRenewalInfo) -> dict[str, str]:
    written = {ann.ARI_CERT_ID: info.cert_id}
    for key, value in (
        (ann.ARI_WINDOW_START, info.window_start),
        (ann.ARI_WINDOW_END, info.window_end),
        (ann.ARI_NEXT_POLL, info.next_poll),
    ):
        if value is not None:
            written[key] = value.isoformat()
    return written


def suggested_window(info: StoredRenewalInfo | None, cert_id: str | None) -> tuple[datetime, datetime] | None:
    """The window stored for the certificate `cert_id`, None when none is (or one for another)."""
    if info is None or cert_id is None or info.cert_id != cert_id:
        return None
    if info.window_start is None or info.window_end is None or info.window_end < info.window_start:
        return None
    return info.window_start, info.window_end
