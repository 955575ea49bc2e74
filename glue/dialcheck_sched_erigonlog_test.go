// dialcheck glue for geth's dialScheduler, one axis: logger: Erigon's log/v3 (github.com/ledgerwatch/log/v3, a log15).
// Written by the dialcheck project; goes beside dialcheck_scheduler_test.go (docs/geth.md).

package p2p

import "github.com/ledgerwatch/log/v3"

// dcNewLogger returns a logger whose every record, at every level, goes to h.
func dcNewLogger(h func(msg string, ctx []interface{})) log.Logger {
	l := log.New()
	l.SetHandler(log.FuncHandler(func(r *log.Record) error {
		h(r.Msg, r.Ctx)
		return nil
	}))
	return l
}
