// dialcheck glue for geth's dialstate, one axis: newDialState of go-ethereum v1.9.0 - v1.9.6
// (our ID, the table, maxdyn and the server's *Config).
// Written by the dialcheck project; goes beside dialcheck_dialstate_test.go (docs/geth.md).

package p2p

import "github.com/ethereum/go-ethereum/p2p/netutil"

func dcNewDialState(self dcNodeT, static, bootnodes []dcNodeT, tab *dcTable, maxdyn int, restrict *netutil.Netlist) *dialstate {
	cfg := &Config{StaticNodes: static, BootstrapNodes: bootnodes, NetRestrict: restrict}
	return newDialState(self.ID(), tab, maxdyn, cfg)
}

func dcWant(*discoverTask) *int { return nil }
