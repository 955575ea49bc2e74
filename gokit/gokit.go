// Package gokit plugs a Go dialstate into dialcheck. It speaks all of dialcheck-wire/1
// (docs/wire-protocol.md: hello, init, new_tasks, task_done, add_static, remove_static, bye,
// handles, errors and the execute extension) around the small Dialstate interface below, so
// that the glue for a geth-shaped dialstate is a few dozen lines (docs/go-adapter.md).
//
// The kit needs only the standard library; copy or vendor it freely.
//
//	func main() {
//		gokit.Main(gokit.Implementation{
//			Name: "mydialer", Version: "1.0", Profiles: []string{"geth-1.8"}, IDBytes: 32,
//			New: func(profile string, cfg gokit.Config) (gokit.Dialstate, error) { return newGlue(cfg), nil },
//		})
//	}
//
// Then: go build -o mydialer . && dialcheck run --cmd ./mydialer --profile geth-1.8
package gokit

import (
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"time"
)

// Flag is one of geth's connection flags, by its wire name.
type Flag string

// The connection flags (geth's connFlag bits dynDialedConn, staticDialedConn, inboundConn,
// trustedConn).
const (
	Dyn     Flag = "dyn"
	Static  Flag = "static"
	Inbound Flag = "inbound"
	Trusted Flag = "trusted"
)

// Node is a node ID and its endpoint. IP is nil for an incomplete node (it must be resolved
// before it can be dialed).
type Node struct {
	ID  []byte
	IP  net.IP
	TCP int
	UDP int
	// Hostname is the DNS name of an enode URL (the dialScheduler from geth v1.15, spec SC-DNS-1).
	Hostname string
}

// String returns the node as "0a1b2c3d…@10.0.0.1:30303", for logs.
func (n Node) String() string {
	id := hex.EncodeToString(n.ID)
	if len(id) > 8 {
		id = id[:8] + "…"
	}
	if n.IP == nil {
		return id + "@(no ip)"
	}
	return fmt.Sprintf("%s@%s", id, net.JoinHostPort(n.IP.String(), fmt.Sprint(n.TCP)))
}

// bits are geth's connFlag values of the flags (dynDialedConn = 1 << 0, ...).
var bits = []Flag{Dyn, Static, Inbound, Trusted}

// Bits returns flags as geth's connFlag bits: Dyn 1, Static 2, Inbound 4, Trusted 8.
func Bits(flags []Flag) int {
	out := 0
	for i, f := range bits {
		for _, g := range flags {
			if g == f {
				out |= 1 << i
			}
		}
	}
	return out
}

// FromBits returns the flags of geth's connFlag bits, in bit order (unknown bits are dropped).
func FromBits(b int) []Flag {
	out := []Flag{}
	for i, f := range bits {
		if b&(1<<i) != 0 {
			out = append(out, f)
		}
	}
	return out
}

// Peer is a connected peer: its node ID and its connection flags.
type Peer struct {
	ID    []byte
	Flags []Flag
}

// Has reports whether the peer has flag f.
func (p Peer) Has(f Flag) bool {
	for _, g := range p.Flags {
		if g == f {
			return true
		}
	}
	return false
}

// Config is what a dialstate is created with (geth's newDialState arguments).
type Config struct {
	Self        []byte
	MaxDynDials int
	Static      []Node
	Bootnodes   []Node
	// Netrestrict is nil for no restriction, else the CIDRs of the whitelist in order; an
	// empty, non-nil list admits no IP at all (spec DS-NET-1).
	Netrestrict []string
}

// Nets parses Netrestrict with Go's net.ParseCIDR (nil when there is no restriction).
func (c Config) Nets() ([]*net.IPNet, error) {
	if c.Netrestrict == nil {
		return nil, nil
	}
	nets := []*net.IPNet{}
	for _, cidr := range c.Netrestrict {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			return nil, err
		}
		nets = append(nets, network)
	}
	return nets, nil
}

// Kind says what a task does.
type Kind int

// The three kinds of task.
const (
	DialKind Kind = iota
	DiscoverKind
	WaitKind
)

// Task is one task of a NewTasks answer, described for the wire. Ref is the implementation's
// own task object: the kit hands that very value back to TaskDone and Execute.
type Task struct {
	Kind     Kind
	Flags    []Flag        // a dial task's flags: exactly one of Dyn or Static in geth
	Dest     Node          // a dial task's destination
	Duration time.Duration // a wait task's duration
	// Want is how many nodes a discover task asks the node iterator for (geth v1.9.7 on,
	// profile geth-1.9.7); nil before, where a lookup asks for no number.
	Want *int
	Ref  any
}

// Dial describes a dial task with one flag.
func Dial(flag Flag, dest Node, ref any) Task {
	return Task{Kind: DialKind, Flags: []Flag{flag}, Dest: dest, Ref: ref}
}

// Discover describes a discover (lookup) task.
func Discover(ref any) Task { return Task{Kind: DiscoverKind, Ref: ref} }

// DiscoverWant describes a discover task that asks the node iterator for want nodes (geth v1.9.7 on).
func DiscoverWant(want int, ref any) Task { return Task{Kind: DiscoverKind, Want: &want, Ref: ref} }

// Wait describes a wait task.
func Wait(d time.Duration, ref any) Task { return Task{Kind: WaitKind, Duration: d, Ref: ref} }

// Dialstate is geth's dialstate seen from its server loop. Times are instants counted from the
// zero time.Time (see Time): the zero instant is geth's "not started" (spec DS-TIME-2).
type Dialstate interface {
	// NewTasks is newTasks(nRunning, peers, now); table is what the discovery table's
	// ReadRandomNodes copies from during this call, in order.
	NewTasks(running int, peers []Peer, now time.Time, table []Node) []Task
	// TaskDone is taskDone(task, now) for the Ref of a task NewTasks returned; results are a
	// discover task's lookup results (empty otherwise).
	TaskDone(ref any, now time.Time, results []Node)
	AddStatic(n Node)
	RemoveStatic(n Node)
}

// Executor is the optional task-execution capability (spec section 10, AD-5): what the task's
// Do method does, against the environment's answers in env. It returns, for a dial task, the
// state left in the task, and nil for other tasks.
type Executor interface {
	Execute(ref any, env *Env) (*DialState, error)
}

// DialState is the execution state of a dial task (geth's dialTask resolveDelay,
// lastResolved and dest). LastResolved is nil until the task has resolved once.
type DialState struct {
	ResolveDelay time.Duration
	LastResolved *time.Time
	Dest         Node
}

// Implementation describes a dialstate to serve.
type Implementation struct {
	Name     string
	Version  string
	Profiles []string // the profiles it implements: "geth-1.7", "geth-1.8", ...
	// IDBytes is the node ID width it holds: 32 (geth's enode.ID, v1.8.17 on) or 64
	// (discover.NodeID, before); 0 takes IDs as dialcheck has them. dialcheck then sends every
	// ID at that width, and the kit refuses any other.
	IDBytes int
	// Executes says that the dialstates New returns implement Executor.
	Executes bool
	// New starts a fresh dialstate under a profile of Profiles. It must share nothing with
	// earlier ones (spec WIRE-3).
	New func(profile string, cfg Config) (Dialstate, error)
	// SchedulerProfiles are the dialScheduler profiles it implements ("geth-1.9.11", ...,
	// spec/scheduler.md section 13); NewScheduler starts a fresh scheduler under one of them.
	SchedulerProfiles []string
	NewScheduler      func(profile string, cfg SchedulerConfig) (Scheduler, error)
}

// Time returns the instant ns nanoseconds after the zero time.Time, the wire's time 0.
func Time(ns int64) time.Time { return time.Time{}.Add(time.Duration(ns)) }

// Nanos returns t as nanoseconds after the zero time.Time (saturating like time.Time.Sub).
func Nanos(t time.Time) int64 { return int64(t.Sub(time.Time{})) }

// HexID returns id as the wire's lowercase hex.
func HexID(id []byte) string { return hex.EncodeToString(id) }

// ParseID returns the bytes of a hex node ID.
func ParseID(text string) ([]byte, error) {
	if text != strings.ToLower(text) {
		return nil, fmt.Errorf("node ID %q is not lowercase hex", text)
	}
	return hex.DecodeString(text)
}
