"""The pure rules of spec.scheduler that geth's enode package decides: which address of a record is dialed."""

from __future__ import annotations

import pytest

from dialcheck.spec.scheduler import choose_ip, get_dns_update, get_locality_score


@pytest.mark.parametrize(
    ("ip", "score"),
    [
        ("0.0.0.0", 0),
        ("::", 0),
        ("127.0.0.1", 1),
        ("::1", 1),
        ("169.254.1.1", 2),
        ("fe80::1", 2),
        ("10.0.0.1", 3),
        ("172.16.5.4", 3),
        ("192.168.1.1", 3),
        ("fd00::1", 3),
        ("8.8.8.8", 4),
        ("192.0.2.1", 4),  # documentation range: Python calls it private, Go's IsPrivate does not
        ("2001:db8::1", 4),
    ],
)
def test_locality_is_ranked_as_geths_locality_score_with_gos_idea_of_private_SC_DNS_2(ip: str, score: int) -> None:
    assert get_locality_score(ip) == score


def test_the_ipv4_address_is_dialed_unless_the_ipv6_one_is_more_global_SC_DNS_2() -> None:
    assert choose_ip("10.0.0.1", "fd00::1") == "10.0.0.1"
    assert choose_ip("10.0.0.1", "2001:db8::1") == "2001:db8::1"
    assert choose_ip("8.8.8.8", "2001:db8::1") == "8.8.8.8"
    assert choose_ip(None, "fd00::1") == "fd00::1" and choose_ip("10.0.0.1", None) == "10.0.0.1"
    assert choose_ip(None, None) is None


def test_an_answer_sets_its_family_and_keeps_or_drops_the_other_SC_DNS_2() -> None:
    assert get_dns_update(("10.0.0.1", None), "fd00::7", False) == ("10.0.0.1", ("10.0.0.1", "fd00::7"))
    assert get_dns_update(("10.0.0.1", None), "fd00::7", True) == ("fd00::7", (None, "fd00::7"))
    assert get_dns_update((None, "fd00::7"), "10.0.0.9", False) == ("10.0.0.9", ("10.0.0.9", "fd00::7"))
