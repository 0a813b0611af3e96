"""The adapter's one cache: kept `seconds`, loaded again after, not kept when loading fails, bounded."""
import pytest

from connector.crm.ttl_cache import TtlCache


def test_a_value_is_kept_for_its_seconds_then_loaded_again():
    cache: TtlCache[int] = TtlCache(60)
    loads = iter([1, 2])
    assert cache.lookup("org", lambda: next(loads), now=0) == 1
    assert cache.lookup("org", lambda: next(loads), now=59.9) == 1
    assert cache.lookup("org", lambda: next(loads), now=60) == 2


def test_a_failed_load_keeps_nothing():
    cache: TtlCache[int] = TtlCache(60)

    def failing() -> int:
        raise RuntimeError("Dataverse 503")

    with pytest.raises(RuntimeError):
        cache.lookup("org", failing, now=0)
    assert cache.lookup("org", lambda: 7, now=1) == 7


def test_past_its_limit_it_starts_afresh():
    cache: TtlCache[str] = TtlCache(60, limit=2)
    for key in ("a", "b", "c"):
        cache.lookup(key, lambda key=key: key.upper(), now=0)
    assert cache.lookup("a", lambda: "reloaded", now=1) == "reloaded"
