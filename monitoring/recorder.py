"""Stores every call core.http reports into the API call log."""

import logging

from core.http import CallRecord

logger = logging.getLogger("monitoring.api_calls")


def record_api_call(record: CallRecord) -> None:
    from monitoring.models import ApiCall

    ok = not record.error and (record.status_code is None or record.status_code < 400)
    ApiCall.objects.create(
        provider=record.provider[:32],
        operation=record.operation[:64],
        method=record.method,
        url=record.url[:500],
        status_code=record.status_code,
        latency_ms=record.latency_ms,
        error=record.error,
        ok=ok,
        channel_id=record.channel_id,
        reference=record.reference[:64],
    )
    logger.info(
        "api_call provider=%s operation=%s status=%s latency_ms=%s ok=%s",
        record.provider,
        record.operation,
        record.status_code,
        record.latency_ms,
        ok,
    )
