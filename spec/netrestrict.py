"""geth's ``netutil.Netlist``: a list of CIDR networks with Go's ``net.IPNet.Contains`` semantics.

Theory of operation
-------------------
geth parses ``--netrestrict`` with ``net.ParseCIDR`` and asks ``Contains(ip)``
of every network in turn.  Go folds IPv4-mapped IPv6 addresses (``::ffff:a.b.c.d``)
to IPv4 on *both* sides: an address ``::ffff:10.0.0.1`` is inside ``10.0.0.0/8``,
and a network ``::ffff:10.0.0.0/104`` is the IPv4 network ``10.0.0.0/8``.
Python's :mod:`ipaddress` does neither, so this module does the folding itself.
A node without an IP is inside no network.  This module is the one definition
of DS-NET-1: the reference dials by it, the named invariants judge by it and
the trace format parses addresses with it; its own tests (``tests/spec``,
including a property test against a byte-level model of Go's algorithm) check
it apart from all three.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import Optional, Union

__all__ = ["Netlist", "parse_ip", "parse_cidr"]

_Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
_Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

_V4_MAPPED_PREFIX = 96


@functools.lru_cache(maxsize=65536)
def parse_ip(text: str) -> _Address:
    """Parse an IP address, folding an IPv4-mapped IPv6 address to IPv4 as Go's ``To4`` does.

    Raises ``ValueError`` for text that is not an IP address.
    """
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_cidr(text: str) -> _Network:
    """Parse a CIDR as ``net.ParseCIDR`` does (host bits allowed), folding IPv4-mapped networks.

    Raises ``ValueError`` for text that is not ``address/prefix``.
    """
    if "/" not in text:
        raise ValueError(f"{text!r} is not in CIDR notation (address/prefix)")
    network = ipaddress.ip_network(text, strict=False)
    if (
        isinstance(network, ipaddress.IPv6Network)
        and network.prefixlen >= _V4_MAPPED_PREFIX
        and network.network_address.ipv4_mapped is not None
    ):
        folded = network.network_address.ipv4_mapped
        return ipaddress.IPv4Network((folded, network.prefixlen - _V4_MAPPED_PREFIX))
    return network


class Netlist:
    """An allow-list of networks; ``contains`` is geth's ``Netlist.Contains``."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        self._networks = tuple(parse_cidr(cidr) for cidr in cidrs)

    def contains(self, ip: Optional[str]) -> bool:
        """Return whether ``ip`` lies in one of the networks; ``None`` lies in none."""
        if ip is None:
            return False
        address = parse_ip(ip)
        return any(network.version == address.version and address in network for network in self._networks)
