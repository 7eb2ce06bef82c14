"""The per-process TTL cache: an expired entry is reloaded by one caller at a time."""

from types import SimpleNamespace

import pytest

from loyalty.kit import cache as cache_module
from loyalty.kit.cache import TTLCache


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks(monkeypatch: pytest.MonkeyPatch) -> Ticks:
    clock = Ticks()
    monkeypatch.setattr(cache_module, "time", SimpleNamespace(monotonic=clock))
    return clock


def test_an_entry_lives_its_ttl(ticks: Ticks) -> None:
    cache: TTLCache[str, int] = TTLCache(10.0)
    assert cache.get("k") is None
    cache.put("k", 1)
    ticks.now += 9.9
    assert cache.get("k") == 1


@pytest.fixture
def expired(ticks: Ticks) -> TTLCache[str, int]:
    """A cache whose entry "k" (1) expired half a second ago."""
    cache: TTLCache[str, int] = TTLCache(10.0, grace=1.0)
    cache.put("k", 1)
    ticks.now += 10.5
    return cache


def test_an_expired_entry_is_reloaded_by_one_caller(expired: TTLCache[str, int]) -> None:
    cache = expired
    # The first caller reloads; the others keep the old value meanwhile.
    assert cache.get("k") is None
    assert cache.get("k") == 1
    assert cache.get("k") == 1
    cache.put("k", 2)
    assert cache.get("k") == 2


def test_a_reload_that_never_comes_is_tried_again_after_the_grace(
    ticks: Ticks, expired: TTLCache[str, int]
) -> None:
    cache = expired
    assert cache.get("k") is None
    ticks.now += 0.9
    assert cache.get("k") == 1
    ticks.now += 0.2
    assert cache.get("k") is None


def test_forget_and_no_ttl(ticks: Ticks) -> None:
    cache: TTLCache[str, int] = TTLCache(10.0)
    cache.put("k", 1)
    cache.forget("k")
    assert cache.get("k") is None
    off: TTLCache[str, int] = TTLCache(0)
    off.put("k", 1)
    assert off.get("k") is None
