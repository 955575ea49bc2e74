"""The dial history: strict expiry, coexisting entries, v1.8 removal, and membership without a scan."""

from __future__ import annotations

from typing import NoReturn

from dialcheck.reference.history import DialHistory


def test_an_entry_expiring_exactly_now_still_blocks_DS_HIST_3() -> None:
    hist = DialHistory()
    hist.add("01", 30)
    hist.expire(30)
    assert hist.contains("01") and len(hist) == 1
    hist.expire(31)
    assert not hist.contains("01") and len(hist) == 0


def test_expiry_pops_only_entries_strictly_before_now_in_expiry_order_DS_HIST_3() -> None:
    hist = DialHistory()
    for node_id, expiry in [("03", 50), ("01", 10), ("02", 20)]:
        hist.add(node_id, expiry)
    assert hist.get_min_expiry() == 10
    hist.expire(20)
    assert [hist.contains(i) for i in ("01", "02", "03")] == [False, True, True]
    assert hist.get_min_expiry() == 20


def test_entries_for_one_id_coexist_and_expire_separately_DS_HIST_1() -> None:
    hist = DialHistory()
    hist.add("01", 10)
    hist.add("01", 40)
    hist.expire(11)
    assert hist.contains("01") and len(hist) == 1


def test_remove_takes_one_entry_of_the_id_DS_STATIC_5() -> None:
    hist = DialHistory()
    hist.add("02", 5)
    hist.add("01", 10)
    hist.add("01", 40)
    hist.add("03", 7)
    assert hist.remove("01")
    assert hist.contains("01") and len(hist) == 3
    assert hist.remove("01")
    assert not hist.contains("01") and not hist.remove("01")
    assert hist.get_min_expiry() == 5
    hist.expire(6)
    assert hist.get_min_expiry() == 7


def test_remove_of_the_last_heap_slot_keeps_the_heap_valid() -> None:
    hist = DialHistory()
    hist.add("01", 1)
    hist.add("02", 2)
    assert hist.remove("02")
    assert len(hist) == 1 and hist.get_min_expiry() == 1


class _NoScan(list[tuple[int, int, str]]):
    def __iter__(self) -> NoReturn:
        raise AssertionError("the history was scanned")


def test_membership_never_scans_the_history_DS_HIST_4() -> None:
    hist = DialHistory()
    for i in range(1000):
        hist.add(f"{i:04x}", i)
    hist._heap = _NoScan(hist._heap)
    assert hist.contains("0001") and not hist.contains("ffff")
    hist.add("ffff", 5000)
    hist.expire(10)
    assert not hist.contains("0001") and hist.contains("0010") and hist.contains("ffff")


def test_the_entries_are_listed_earliest_first_and_equal_expiries_in_the_order_added() -> None:
    hist = DialHistory()
    for node_id, expiry in [("03", 50), ("01", 10), ("02", 50), ("04", 10)]:
        hist.add(node_id, expiry)
    assert hist.get_entries() == [(10, "01"), (10, "04"), (50, "03"), (50, "02")]
