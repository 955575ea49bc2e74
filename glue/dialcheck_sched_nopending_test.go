// dialcheck glue for geth's dialScheduler, one axis: pending inbound connections: not told to the scheduler (go-ethereum before v1.17.2).
// Written by the dialcheck project; goes beside dialcheck_scheduler_test.go (docs/geth.md).

package p2p

import "github.com/ethereum/go-ethereum/p2p/enode"

func dcInboundPending(*dialScheduler, enode.ID)   {}
func dcInboundCompleted(*dialScheduler, enode.ID) {}
