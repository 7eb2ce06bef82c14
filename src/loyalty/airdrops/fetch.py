"""Reading an airdrop CSV from its URL (``loyaltyUserAllotmentCsvUrl``), in the worker.

The read is bounded in time and size: the worker holds its job's transaction meanwhile.
"""

import httpx

from loyalty.airdrops.csvfile import MAX_BYTES

TIMEOUT = httpx.Timeout(20.0, connect=5.0)
# Tests replace it with a transport of their own (``httpx.MockTransport``).
TRANSPORT: httpx.AsyncBaseTransport | None = None


class FetchFailed(Exception):
    """The URL could not be read; the message says why, for the airdrop's status."""


async def fetch_csv(url: str) -> bytes:
    try:
        async with (
            httpx.AsyncClient(
                transport=TRANSPORT, timeout=TIMEOUT, follow_redirects=True, max_redirects=5
            ) as client,
            client.stream("GET", url, headers={"Accept": "text/csv, text/plain, */*"}) as answer,
        ):
            if answer.status_code != 200:
                raise FetchFailed(f"the CSV URL answered HTTP {answer.status_code}")
            return await _body(answer)
    except httpx.HTTPError as exc:
        raise FetchFailed(f"the CSV URL could not be read: {exc or type(exc).__name__}") from exc


async def _body(answer: httpx.Response) -> bytes:
    """The body, refused as soon as it passes the size limit."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.aiter_bytes():
        size += len(chunk)
        if size > MAX_BYTES:
            raise FetchFailed(f"the CSV is larger than {MAX_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)
