// dialcheck glue for geth's dialstate, one axis: newDialState of go-ethereum v1.6.0 - v1.8.17
// (statics, bootnodes, the table, maxdyn, netrestrict; our ID from the table's Self).
// Written by the dialcheck project; goes beside dialcheck_dialstate_test.go (docs/geth.md).

package p2p

import "github.com/ethereum/go-ethereum/p2p/netutil"

func dcNewDialState(_ dcNodeT, static, bootnodes []dcNodeT, tab *dcTable, maxdyn int, restrict *netutil.Netlist) *dialstate {
	return newDialState(static, bootnodes, tab, maxdyn, restrict)
}

func dcWant(*discoverTask) *int { return nil }
