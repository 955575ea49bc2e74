// dialcheck glue for geth's dialScheduler, one axis: logger: log15 (go-ethereum v1.9.11 - v1.13.5).
// Written by the dialcheck project; goes beside dialcheck_scheduler_test.go (docs/geth.md).

package p2p

import "github.com/ethereum/go-ethereum/log"

// dcNewLogger returns a logger whose every record, at every level, goes to h.
func dcNewLogger(h func(msg string, ctx []interface{})) log.Logger {
	l := log.New()
	l.SetHandler(log.FuncHandler(func(r *log.Record) error {
		h(r.Msg, r.Ctx)
		return nil
	}))
	return l
}
