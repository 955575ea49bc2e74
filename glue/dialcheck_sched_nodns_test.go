// dialcheck glue for geth's dialScheduler, one axis: DNS names: none (go-ethereum before v1.15.0; a hostname cannot be carried).
// Written by the dialcheck project; goes beside dialcheck_scheduler_test.go (docs/geth.md).

package p2p

import (
	"net"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

func dcWithHostname(n *enode.Node, _ string) *enode.Node   { return n }
func dcHostname(*enode.Node) string                        { return "" }
func dcSetLookup(*dialScheduler, func(name string) net.IP) {}
