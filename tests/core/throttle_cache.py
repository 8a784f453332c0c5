"""The configured cache, fresh for one test: what the throttle tests count in.

The suite's cache is the real one (Redis when the run has a broker, as CI does; local memory
otherwise). Throttle counters outlive a test there and the Redis may be shared with other runs, so
each test gets a key prefix of its own, emptied before and after: nothing it counts is seen by
another test, and nothing another run counts is seen by it.
"""

import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache


def _clear(prefix):
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        # Only this test's keys: the same Redis holds the broker's queues (clear() would flush them).
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    elif isinstance(cache, LocMemCache):
        cache.clear()  # this process's only
    else:
        raise AssertionError(f"tests/core/throttle_cache.py does not know how to empty {type(cache).__name__}")


@pytest.fixture
def fresh_cache(settings):
    prefix = f"weiquan-test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {alias: {**conf, "KEY_PREFIX": prefix} for alias, conf in settings.CACHES.items()}
    _clear(prefix)
    yield caches["default"]
    _clear(prefix)


def rates(settings, **rates):
    """Set some throttle rates for this test (the others keep the suite's)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}}
