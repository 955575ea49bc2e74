// dialcheck glue for geth's dialScheduler, one axis: DNS names of static nodes, looked up before each dial (go-ethereum v1.15.0 on).
// Written by the dialcheck project; goes beside dialcheck_scheduler_test.go (docs/geth.md).

package p2p

import (
	"context"
	"net"
	"net/netip"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

func dcWithHostname(n *enode.Node, name string) *enode.Node {
	if name == "" {
		return n
	}
	return n.WithHostname(name)
}

func dcHostname(n *enode.Node) string { return n.Hostname() }

// dcSetLookup answers the scheduler's DNS lookups with lookup (nil: the name is not found).
func dcSetLookup(d *dialScheduler, lookup func(name string) net.IP) {
	d.dnsLookupFunc = func(_ context.Context, _ string, name string) ([]netip.Addr, error) {
		ip := lookup(name)
		if ip == nil {
			return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
		}
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		addr, _ := netip.AddrFromSlice(ip)
		return []netip.Addr{addr}, nil
	}
}
