"""The one per-process read cache: least recently used out, past one memory bound that is a setting."""

import pytest

from tests.factories import add_vendors, update_vendor, vendor_record
from vendors import config, search
from vendors.search import readcache
from vendors.search.readcache import COST_OVERHEAD, ReadCache

MEGABYTE = 1 << 20


def test_the_least_recently_used_entries_leave_first_and_the_bound_holds():
    cache = ReadCache(1)
    quarter = MEGABYTE // 4 - COST_OVERHEAD
    for key in "abc":
        cache.put(key, key.upper(), quarter)
    assert cache.get("a") == "A"  # now the most recently used
    cache.put("d", "D", quarter)
    cache.put("e", "E", quarter)
    # Four quarters fill the megabyte; the fifth pushes out b, the least recently used, not a.
    assert [cache.get(key) for key in "abcde"] == ["A", None, "C", "D", "E"]
    usage = cache.usage()
    assert usage.entries == 4 and usage.held_bytes == usage.bound_bytes == MEGABYTE
    assert (usage.hits, usage.misses) == (5, 1)


def test_a_value_larger_than_the_whole_bound_is_not_kept_and_evicts_nothing():
    cache = ReadCache(1)
    cache.put("small", 1, 100)
    cache.put("huge", 2, 2 * MEGABYTE)
    assert cache.get("huge") is None and cache.get("small") == 1


def test_shrinking_the_bound_evicts_down_to_it():
    cache = ReadCache(2)
    for number in range(4):
        cache.put(number, number, MEGABYTE // 2 - COST_OVERHEAD)
    cache.resize(1)
    assert cache.usage().entries == 2 and [cache.get(n) for n in range(4)] == [None, None, 2, 3]


def test_its_size_is_a_setting_reported_by_index_status(app, runner, monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCH_CACHE_MEGABYTES", "64")
    assert config.from_environment(str(tmp_path))["SEARCH_CACHE_MEGABYTES"] == 64
    monkeypatch.setenv("SEARCH_CACHE_MEGABYTES", "0")
    with pytest.raises(config.ConfigError, match="SEARCH_CACHE_MEGABYTES"):
        config.from_environment(str(tmp_path))
    assert readcache.CACHE.usage().bound_bytes == app.config["SEARCH_CACHE_MEGABYTES"] * MEGABYTE
    output = runner.invoke(args=["index", "status"]).output
    assert f"Read cache per process: {app.config['SEARCH_CACHE_MEGABYTES']} MB" in output


def test_searches_are_kept_until_an_edit_changes_the_index(app):
    [vendor] = add_vendors(vendor_record(name="Cached Vendor"))
    readcache.CACHE.clear()
    first = search.find("cached")
    assert search.find("cached") is first
    assert readcache.CACHE.usage().entries >= 1
    update_vendor(vendor.id, name="Cached Vendor Renamed")
    again = search.find("cached")
    assert again is not first and again.ids == [vendor.id]
