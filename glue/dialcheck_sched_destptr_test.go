// dialcheck glue for geth's dialScheduler, one axis: a dial task's destination: held atomically, dest() (go-ethereum v1.14.0 on).
// Written by the dialcheck project; goes beside dialcheck_scheduler_test.go (docs/geth.md).

package p2p

import "github.com/ethereum/go-ethereum/p2p/enode"

func dcDest(t *dialTask) *enode.Node { return t.dest() }
