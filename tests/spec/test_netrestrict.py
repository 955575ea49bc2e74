"""netrestrict with Go's net.IPNet.Contains semantics (DS-NET-1)."""

from __future__ import annotations

import pytest

from dialcheck.spec.netrestrict import Netlist, parse_cidr, parse_ip


@pytest.mark.parametrize(
    ("cidrs", "ip", "admitted"),
    [
        (["10.0.0.0/8"], "10.1.2.3", True),
        (["10.0.0.0/8"], "11.0.0.1", False),
        (["10.0.0.0/8"], None, False),
        ([], "10.0.0.1", False),
        (["10.0.0.0/8"], "::ffff:10.0.0.1", True),
        (["::ffff:10.0.0.0/104"], "10.9.9.9", True),
        (["::ffff:10.0.0.0/104"], "11.9.9.9", False),
        (["::/0"], "10.0.0.1", False),
        (["0.0.0.0/0"], "2001:db8::1", False),
        (["2001:db8::/32"], "2001:db8::1", True),
        (["10.0.0.1/8"], "10.200.0.1", True),
        (["192.168.0.0/16", "10.0.0.0/8"], "10.0.0.1", True),
    ],
)
def test_contains_follows_go(cidrs: list[str], ip: str | None, admitted: bool) -> None:
    assert Netlist(cidrs).contains(ip) is admitted


def test_ipv4_mapped_network_below_96_bits_stays_ipv6() -> None:
    assert parse_cidr("::ffff:0:0/80").version == 6


def test_an_address_without_a_slash_is_not_a_cidr() -> None:
    with pytest.raises(ValueError, match="CIDR"):
        parse_cidr("10.0.0.1")


def test_ipv4_mapped_addresses_fold_to_ipv4() -> None:
    assert str(parse_ip("::ffff:10.0.0.4")) == "10.0.0.4"
    assert str(parse_ip("2001:db8::5")) == "2001:db8::5"
