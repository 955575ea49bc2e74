// dialcheck glue for geth's dialScheduler, one axis: pending inbound connections told to the scheduler (go-ethereum v1.17.2 on).
// Written by the dialcheck project; goes beside dialcheck_scheduler_test.go (docs/geth.md).

package p2p

import "github.com/ethereum/go-ethereum/p2p/enode"

func dcInboundPending(d *dialScheduler, id enode.ID)   { d.inboundPending(id) }
func dcInboundCompleted(d *dialScheduler, id enode.ID) { d.inboundCompleted(id) }
