"""Reading a file another system serves (a CSV of codes or of an airdrop, a custom rewards
API's answer). Only the worker calls this: web URLs only, bounded in time and size (the
worker holds its job's transaction meanwhile)."""

from collections.abc import AsyncIterable, Mapping
from urllib.parse import urlsplit

import httpx

# The largest file read, by upload or from a URL.
MAX_BYTES = 20 * 1024 * 1024
MAX_URL = 2048
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
# Tests replace this with an ``httpx.MockTransport``; None is the network.
TRANSPORT: httpx.AsyncBaseTransport | None = None


class FetchFailed(Exception):
    """The URL could not be read; the message says why, for the status of what needed it."""


def too_large() -> str:
    return f"is larger than {MAX_BYTES // (1024 * 1024)} MB"


def url_problem(url: str) -> str | None:
    """Why the URL will not be read, or None: only web URLs are (the worker must not be
    pointed at its own files)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
        return "must be an http or https URL"
    return None


async def fetch(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> bytes:
    """The body of a 2xx answer to ``GET url``, of at most ``MAX_BYTES``."""
    try:
        async with (
            httpx.AsyncClient(
                transport=TRANSPORT, timeout=TIMEOUT, follow_redirects=True, max_redirects=5
            ) as client,
            client.stream("GET", url.strip(), headers=headers, params=params) as answer,
        ):
            if not answer.is_success:
                raise FetchFailed(f"The URL answered HTTP {answer.status_code}")
            data = await read_capped(answer.aiter_bytes())
    except httpx.HTTPError as exc:
        raise FetchFailed(f"The URL could not be read: {exc or type(exc).__name__}") from exc
    if len(data) > MAX_BYTES:
        raise FetchFailed(f"The file {too_large()}")
    return data


async def read_capped(chunks: AsyncIterable[bytes]) -> bytes:
    """A stream's bytes, read until they pass ``MAX_BYTES``: a result longer than that is
    too large, and the rest of the stream is never read."""
    data = bytearray()
    async for chunk in chunks:
        data += chunk
        if len(data) > MAX_BYTES:
            break
    return bytes(data)
