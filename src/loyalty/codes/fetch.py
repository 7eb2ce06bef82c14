"""Fetching a rule's CSV of codes (``promoCodeCsvUrl``); only the worker calls this."""

from urllib.parse import urlsplit

import httpx

# Largest CSV of codes read, by upload or from a URL (about a million codes).
MAX_CSV_BYTES = 20 * 1024 * 1024
TIMEOUT_SECONDS = 20.0
# Tests replace this with an ``httpx.MockTransport``; None is the network.
TRANSPORT: httpx.AsyncBaseTransport | None = None


class FetchFailed(Exception):
    """The file could not be fetched; the message says why, for the import's status."""


def url_problem(url: str) -> str | None:
    """Why a URL cannot be fetched, or None."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an http or https URL"
    return None


async def fetch_csv(url: str) -> bytes:
    """The file at ``url``: a 2xx answer of at most ``MAX_CSV_BYTES``."""
    try:
        async with (
            httpx.AsyncClient(
                transport=TRANSPORT, timeout=TIMEOUT_SECONDS, follow_redirects=True
            ) as client,
            client.stream("GET", url.strip()) as response,
        ):
            if not response.is_success:
                raise FetchFailed(f"The URL answered HTTP {response.status_code}")
            return await _read_capped(response)
    except httpx.HTTPError as exc:
        detail = str(exc) or type(exc).__name__
        raise FetchFailed(f"The URL could not be fetched: {detail}") from exc


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_CSV_BYTES:
            raise FetchFailed(f"The file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)
