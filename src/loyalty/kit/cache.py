"""A small per-process cache whose entries live a few seconds: for lookups on every
request (API keys, currencies) whose changes may take that long to be seen.

When an entry expires, the first caller to ask for it gets ``None`` (and reloads it); for
the next ``grace`` seconds the others are still answered the old value. Under load, a hot
entry's expiry is then one reload, not a reload by every request in flight at that moment
(which, measured, made the slowest percent of completion requests several times slower)."""

import time
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    def __init__(self, ttl: float, max_entries: int = 10_000, *, grace: float = 1.0) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.grace = grace
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        hit = self._entries.get(key)
        if hit is None:
            return None
        expires, value = hit
        moment = time.monotonic()
        if expires < moment:
            # This caller reloads; the others keep the old value while it does.
            self._entries[key] = (moment + self.grace, value)
            return None
        return value

    def put(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, value)

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)
