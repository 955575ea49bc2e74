// dialcheck glue for geth's dialScheduler, one axis: constructor: geth's three arguments (go-ethereum v1.9.11 on).
// Written by the dialcheck project; goes beside dialcheck_scheduler_test.go (docs/geth.md).

package p2p

import "github.com/ethereum/go-ethereum/p2p/enode"

// dcStartScheduler starts the scheduler under test.
func dcStartScheduler(cfg dialConfig, it enode.Iterator, setup dialSetupFunc) *dialScheduler {
	return newDialScheduler(cfg, it, setup)
}
