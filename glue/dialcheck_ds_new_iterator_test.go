// dialcheck glue for geth's dialstate, one axis: newDialState of go-ethereum v1.9.7 - v1.9.10
// (our ID, maxdyn and the server's *Config; no table: lookups read the node iterator and want
// a number of nodes).
// Written by the dialcheck project; goes beside dialcheck_dialstate_test.go (docs/geth.md).

package p2p

import "github.com/ethereum/go-ethereum/p2p/netutil"

func dcNewDialState(self dcNodeT, static, bootnodes []dcNodeT, _ *dcTable, maxdyn int, restrict *netutil.Netlist) *dialstate {
	cfg := &Config{StaticNodes: static, BootstrapNodes: bootnodes, NetRestrict: restrict}
	return newDialState(self.ID(), maxdyn, cfg)
}

func dcWant(t *discoverTask) *int {
	want := t.want
	return &want
}
