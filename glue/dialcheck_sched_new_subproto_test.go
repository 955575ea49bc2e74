// dialcheck glue for geth's dialScheduler, one axis: constructor: a fourth argument, the sub-protocol version
// (Erigon, which runs one server and scheduler per eth protocol version; the version only labels its logs).
// Written by the dialcheck project; goes beside dialcheck_scheduler_test.go (docs/geth.md).

package p2p

import "github.com/ethereum/go-ethereum/p2p/enode"

// dcStartScheduler starts the scheduler under test.
func dcStartScheduler(cfg dialConfig, it enode.Iterator, setup dialSetupFunc) *dialScheduler {
	return newDialScheduler(cfg, it, setup, 0)
}
