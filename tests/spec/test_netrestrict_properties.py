"""Property test: netrestrict against Go's byte-level ``net.IPNet.Contains`` (DS-NET-1)."""

from __future__ import annotations

import ipaddress
from typing import Optional

from hypothesis import given, settings
from hypothesis import strategies as st

from dialcheck.spec.netrestrict import Netlist

_V4_IN_V6 = bytes(10) + b"\xff\xff"


def _to16(text: str) -> bytes:
    address = ipaddress.ip_address(text)
    return _V4_IN_V6 + address.packed if address.version == 4 else address.packed


def _to4(ip: bytes) -> Optional[bytes]:
    if len(ip) == 4:
        return ip
    return ip[12:] if ip[:12] == _V4_IN_V6 else None


def _go_parse_cidr(text: str) -> tuple[bytes, bytes]:
    """net.ParseCIDR: return (IPNet.IP, IPNet.Mask)."""
    address, prefix = text.split("/")
    ip = _to16(address)
    bits = 32 if ipaddress.ip_address(address).version == 4 else 128
    ones = int(prefix)
    mask = ((2**bits - 1) >> (bits - ones) << (bits - ones)).to_bytes(bits // 8, "big") if ones else bytes(bits // 8)
    if len(mask) == 4 and ip[:12] == _V4_IN_V6:
        ip = ip[12:]
    return bytes(a & b for a, b in zip(ip, mask, strict=True)), mask


def _go_contains(cidr: str, ip_text: Optional[str]) -> bool:
    """net.IPNet.Contains, byte for byte."""
    if ip_text is None:
        return False
    net_ip, mask = _go_parse_cidr(cidr)
    nn = _to4(net_ip)
    if nn is None:
        nn = net_ip
    if len(mask) == 4 and len(nn) != 4:
        return False
    if len(mask) == 16 and len(nn) == 4:
        mask = mask[12:]
    ip = _to16(ip_text)
    ip = _to4(ip) or ip
    return len(ip) == len(nn) and all(a & m == b & m for a, b, m in zip(nn, ip, mask, strict=False))


_V4 = st.builds(
    lambda b: str(ipaddress.IPv4Address(b)),
    st.sampled_from([0x0A000001, 0x0A0000FF, 0xC0A80001, 0x0B000001]) | st.integers(0, 2**32 - 1),
)
_MAPPED = _V4.map(lambda v4: f"::ffff:{v4}")
_V6 = st.builds(
    lambda b: str(ipaddress.IPv6Address(b)), st.integers(0, 2**128 - 1) | st.sampled_from([0, 1, 0xFFFF00000000])
)
_ADDRESS = _V4 | _MAPPED | _V6
_CIDR = st.one_of(
    st.tuples(_V4, st.sampled_from([0, 8, 16, 24, 31, 32]) | st.integers(0, 32)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.tuples(_MAPPED, st.sampled_from([80, 95, 96, 97, 104, 120, 128]) | st.integers(80, 128)).map(
        lambda t: f"{t[0]}/{t[1]}"
    ),
    st.tuples(_V6, st.sampled_from([0, 64, 128]) | st.integers(0, 128)).map(lambda t: f"{t[0]}/{t[1]}"),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_CIDR, max_size=3), st.none() | _ADDRESS)
def test_netrestrict_agrees_with_gos_ipnet_contains_DS_NET_1(cidrs: list[str], ip: Optional[str]) -> None:
    assert Netlist(cidrs).contains(ip) is any(_go_contains(c, ip) for c in cidrs)
