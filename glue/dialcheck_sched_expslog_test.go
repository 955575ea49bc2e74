// dialcheck glue for geth's dialScheduler, one axis: logger: golang.org/x/exp/slog (go-ethereum v1.13.6 - v1.13.15).
// Written by the dialcheck project; goes beside dialcheck_scheduler_test.go (docs/geth.md).

package p2p

import (
	"context"

	"github.com/ethereum/go-ethereum/log"
	"golang.org/x/exp/slog"
)

// dcHandler hands every record, at every level, to h.
type dcHandler struct {
	h func(msg string, ctx []interface{})
}

func (x dcHandler) Enabled(context.Context, slog.Level) bool { return true }
func (x dcHandler) WithAttrs([]slog.Attr) slog.Handler       { return x }
func (x dcHandler) WithGroup(string) slog.Handler            { return x }
func (x dcHandler) Handle(_ context.Context, r slog.Record) error {
	ctx := []interface{}{}
	r.Attrs(func(a slog.Attr) bool {
		ctx = append(ctx, a.Key, a.Value.Any())
		return true
	})
	x.h(r.Message, ctx)
	return nil
}

// dcNewLogger returns a logger whose every record, at every level, goes to h.
func dcNewLogger(h func(msg string, ctx []interface{})) log.Logger {
	return log.NewLogger(dcHandler{h})
}
