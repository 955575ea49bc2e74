// dialcheck glue for geth's dialstate, one axis: newDialState of go-ethereum v1.8.18 - v1.8.27
// (our ID first, then statics, bootnodes, the table, maxdyn, netrestrict).
// Written by the dialcheck project; goes beside dialcheck_dialstate_test.go (docs/geth.md).

package p2p

import "github.com/ethereum/go-ethereum/p2p/netutil"

func dcNewDialState(self dcNodeT, static, bootnodes []dcNodeT, tab *dcTable, maxdyn int, restrict *netutil.Netlist) *dialstate {
	return newDialState(self.ID(), static, bootnodes, tab, maxdyn, restrict)
}

func dcWant(*discoverTask) *int { return nil }
