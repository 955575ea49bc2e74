// dialcheck glue for geth's own event-driven dialScheduler (go-ethereum v1.9.11 and later, and
// forks of it). Written by the dialcheck project, not part of go-ethereum: dialcheck's
// `dialcheck adapter` puts it, with one file of each axis below, beside the package p2p of a
// checkout (leaving the tree as it was) and builds the package's test binary; docs/geth.md says
// how to drop it in by hand.
//
// It serves dialcheck-wire/1 through dialcheck's Go kit (dialcheck/gokit) and drives geth's real
// newDialScheduler, its loop, its checkDial, its history and its dial tasks, with geth's own
// mclock.Simulated as the clock and seeded random numbers; only the I/O is ours: the node
// iterator, the resolver, the TCP dialer, the DNS lookup and the setup of a connection answer
// what dialcheck's event says.
//
// How the glue sees geth's decisions. The loop runs on its own goroutine; it logs
// "Starting p2p dial" for each dial it starts (that is how the glue learns which dials started,
// and their destinations, on the loop's goroutine). After each event the glue sends a
// removeStatic of a node that is never static (the sentinel): the loop logs it once it has
// handled everything before it, and there, on the loop's goroutine, the glue looks at geth's state:
// the event is finished when the offered node was consumed, every dial in flight waits in our
// I/O and no history entry is overdue; otherwise it sends another (Go's select picks any of the
// ready channels). Whether the loop reads the iterator is freeDialSlots() > 0 there.
//
// The axes (one file each, chosen from the tree, docs/geth.md): the logger (log15, x/exp/slog,
// log/slog), the constructor (geth's three arguments, or Erigon's fourth), how a dial task holds
// its destination (a field, or atomically from v1.14.0), DNS names of static nodes (v1.15.0) and
// pending inbound connections (v1.17.2).
//
// The file must build with a go.mod saying go 1.13: no generics, no `any`.

package p2p

import (
	"context"
	"errors"
	mrand "math/rand"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"dialcheck/gokit"

	"github.com/ethereum/go-ethereum/common/mclock"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/p2p/enr"
)

// dcSentinel is the node removed after each event to learn that the loop has handled it.
var dcSentinel = enode.ID{0xdc, 0x5e, 0x47, 0x1e, 0x1d, 0xdc, 0x5e, 0x47, 0x1e, 0x1d, 0xdc, 0x5e, 0x47, 0x1e, 0x1d, 0xdc}

func dcID(b []byte) (id enode.ID) {
	copy(id[:], b)
	return id
}

// dcNode returns n as geth's node: a null-signed record with its endpoint, and its hostname.
func dcNode(n gokit.Node) *enode.Node {
	var r enr.Record
	if n.IP != nil {
		r.Set(enr.IP(n.IP))
	}
	r.Set(enr.TCP(n.TCP))
	r.Set(enr.UDP(n.UDP))
	return dcWithHostname(enode.SignNull(&r, dcID(n.ID)), n.Hostname)
}

// dcFromNode returns geth's node as the kit's, through geth's own accessors.
func dcFromNode(n *enode.Node) gokit.Node {
	return gokit.Node{ID: n.ID().Bytes(), IP: n.IP(), TCP: n.TCP(), UDP: n.UDP(), Hostname: dcHostname(n)}
}

// dcRun is one run of a dial task: its I/O waits (parked) until dialcheck's dial_done says
// what the environment answers.
type dcRun struct {
	parked   bool
	release  chan struct{}
	input    *gokit.RunInput
	attempts int
	actions  []gokit.Action
}

// dcStart is a dial the loop started.
type dcStart struct {
	id   enode.ID
	flag gokit.Flag
	dest *enode.Node
}

// dcIterator is the node iterator: Next waits for the node of a node_offered event.
type dcIterator struct {
	in     chan *enode.Node
	closed chan struct{}
	once   sync.Once
	cur    *enode.Node
}

func (it *dcIterator) Next() bool {
	select {
	case n := <-it.in:
		it.cur = n
		return true
	case <-it.closed:
		return false
	}
}

func (it *dcIterator) Node() *enode.Node { return it.cur }
func (it *dcIterator) Close()            { it.once.Do(func() { close(it.closed) }) }

// dcSched is one scheduler served to dialcheck.
type dcSched struct {
	cfg   gokit.SchedulerConfig
	d     *dialScheduler
	clock *mclock.Simulated
	it    *dcIterator

	mu      sync.Mutex // guards what follows: the loop's log calls and the tasks' I/O write it
	stopped bool
	offered *enode.Node           // handed to the iterator, not yet taken by the loop
	started []dcStart             // dials started during the current event
	runs    map[enode.ID]*dcRun   // the current run of every dial started
	hosts   map[string][]enode.ID // static dials started whose DNS lookup is still to come
	dialing map[enode.ID]bool     // geth's dialing set when the event settled
	reads   bool                  // whether the loop reads the iterator when the event settled
	settled chan bool             // the sentinel's verdict
}

func dcNewScheduler(cfg gokit.SchedulerConfig) *dcSched {
	return &dcSched{
		cfg:     cfg,
		runs:    map[enode.ID]*dcRun{},
		hosts:   map[string][]enode.ID{},
		settled: make(chan bool, 1),
	}
}

// onLog sees every record geth's loop and tasks log (on their goroutines).
func (g *dcSched) onLog(msg string, ctx []interface{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped || g.d == nil {
		return
	}
	id, _ := dcCtx(ctx, "id").(enode.ID)
	switch msg {
	case "Starting p2p dial":
		flags, _ := dcCtx(ctx, "flag").(connFlag)
		start := dcStart{id: id, flag: gokit.Dyn, dest: g.offered}
		if flags&staticDialedConn != 0 {
			start.flag, start.dest = gokit.Static, dcDest(g.d.static[id])
			if h := dcHostname(start.dest); h != "" {
				g.hosts[h] = append(g.hosts[h], id)
			}
		} else {
			g.offered = nil
		}
		g.started = append(g.started, start)
		g.runs[id] = &dcRun{release: make(chan struct{})}
	case "Discarding dial candidate":
		g.offered = nil
	case "Removing static node":
		if id == dcSentinel {
			g.settled <- g.isSettled()
		}
	}
}

// isSettled says, on the loop's goroutine, whether the event is finished; if so it notes geth's
// state.
func (g *dcSched) isSettled() bool {
	if g.offered != nil {
		return false
	}
	for id := range g.d.dialing {
		if r := g.runs[id]; r == nil || !r.parked {
			return false
		}
	}
	if len(g.d.history) > 0 && g.d.history.nextExpiry() < g.clock.Now() {
		return false // the history timer fired and the loop has not yet expired the entries
	}
	g.dialing = map[enode.ID]bool{}
	for id := range g.d.dialing {
		g.dialing[id] = true
	}
	g.reads = g.d.freeDialSlots() > 0
	return true
}

func dcCtx(ctx []interface{}, key string) interface{} {
	for i := 0; i+1 < len(ctx); i += 2 {
		if k, ok := ctx[i].(string); ok && k == key {
			return ctx[i+1]
		}
	}
	return nil
}

// run returns the current run of the dial to id once dialcheck has said what its I/O answers,
// or nil when the scheduler is being stopped.
func (g *dcSched) run(id enode.ID) *dcRun {
	g.mu.Lock()
	r := g.runs[id]
	if r == nil || g.stopped {
		g.mu.Unlock()
		return nil
	}
	if r.input == nil {
		r.parked = true
		g.mu.Unlock()
		<-r.release
		g.mu.Lock()
	}
	defer g.mu.Unlock()
	if r.input == nil {
		return nil
	}
	return r
}

func (g *dcSched) record(r *dcRun, a gokit.Action) {
	g.mu.Lock()
	r.actions = append(r.actions, a)
	g.mu.Unlock()
}

// Resolve is the discovery table's resolve (the nodeResolver).
func (g *dcSched) Resolve(n *enode.Node) *enode.Node {
	r := g.run(n.ID())
	if r == nil {
		return nil
	}
	var found *enode.Node
	a := gokit.Action{Kind: "resolve", ID: n.ID().Bytes()}
	if r.input.Found != nil {
		found = dcNode(*r.input.Found)
		node := dcFromNode(found)
		a.Found = &node
	}
	g.record(r, a)
	return found
}

// Dial is the TCP dialer (the NodeDialer).
func (g *dcSched) Dial(_ context.Context, n *enode.Node) (net.Conn, error) {
	r := g.run(n.ID())
	if r == nil {
		return nil, errors.New("dialcheck: the scheduler is stopping")
	}
	ok := r.input.Connect(r.attempts)
	r.attempts++
	g.record(r, gokit.Action{Kind: "connect", Dest: dcFromNode(n), Connected: ok})
	if !ok {
		return nil, errors.New("dialcheck: connection refused")
	}
	conn, other := net.Pipe()
	other.Close()
	return conn, nil
}

// lookupHost is the DNS lookup of a static node's hostname (geth v1.15 on).
func (g *dcSched) lookupHost(name string) net.IP {
	g.mu.Lock()
	var id enode.ID
	if queue := g.hosts[name]; len(queue) > 0 {
		id, g.hosts[name] = queue[0], queue[1:]
	}
	g.mu.Unlock()
	r := g.run(id)
	if r == nil {
		return nil
	}
	g.record(r, gokit.Action{Kind: "dns", Hostname: name, IP: r.input.DNS})
	return r.input.DNS
}

// setup is the server's SetupConn: a connection that joins is added as a peer before the task
// returns (spec SC-PEER-3).
func (g *dcSched) setup(fd net.Conn, flags connFlag, dest *enode.Node) error {
	fd.Close()
	g.mu.Lock()
	r := g.runs[dest.ID()]
	g.mu.Unlock()
	if r == nil || r.input == nil || !r.input.Joins {
		return errors.New("dialcheck: the server did not add the peer")
	}
	g.d.peerAdded(&conn{node: dest, flags: flags})
	return nil
}

// event handles one event: act delivers it (after the record of started dials is cleared: the loop
// may start some before act returns); then the glue waits until geth has finished.
func (g *dcSched) event(act func()) gokit.Response {
	g.mu.Lock()
	g.started = nil
	g.mu.Unlock()
	act()
	for {
		g.d.removeStatic(enode.SignNull(new(enr.Record), dcSentinel))
		if <-g.settled {
			break
		}
		runtime.Gosched()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	out := gokit.Response{Dials: []gokit.SchedDial{}, Reads: g.reads}
	for _, s := range g.started {
		out.Dials = append(out.Dials, gokit.SchedDial{Flag: s.flag, Dest: dcFromNode(s.dest)})
		if !g.dialing[s.id] {
			out.Done = append(out.Done, s.id.Bytes())
		}
	}
	return out
}

func (g *dcSched) Start(now int64) gokit.Response {
	g.clock = new(mclock.Simulated)
	g.clock.Run(time.Duration(now))
	g.it = &dcIterator{in: make(chan *enode.Node), closed: make(chan struct{})}
	cfg := dialConfig{
		self:           dcID(g.cfg.Self),
		maxDialPeers:   g.cfg.MaxDialPeers,
		maxActiveDials: g.cfg.MaxActiveDials,
		dialer:         g,
		log:            dcNewLogger(g.onLog),
		clock:          g.clock,
		rand:           mrand.New(mrand.NewSource(0x1111)),
	}
	if g.cfg.Resolver {
		cfg.resolver = g
	}
	list, err := dcNetlist(g.cfg.Netrestrict)
	if err != nil {
		panic(err)
	}
	cfg.netRestrict = list
	d := dcStartScheduler(cfg, g.it, g.setup)
	dcSetLookup(d, g.lookupHost)
	g.mu.Lock()
	g.d = d
	g.mu.Unlock()
	return g.event(func() {})
}

func (g *dcSched) Advance(now int64) gokit.Response {
	return g.event(func() { g.clock.Run(time.Duration(now) - time.Duration(g.clock.Now())) })
}

func (g *dcSched) NodeOffered(n gokit.Node) gokit.Response {
	return g.event(func() {
		node := dcNode(n)
		g.mu.Lock()
		g.offered = node
		g.mu.Unlock()
		g.it.in <- node
	})
}

func (g *dcSched) DialDone(id []byte, input gokit.RunInput) gokit.Response {
	g.mu.Lock()
	r := g.runs[dcID(id)]
	g.mu.Unlock()
	if r == nil || r.input != nil {
		panic("dialcheck: dial_done for a node that is not being dialed")
	}
	// The release is the event: the loop may start dials as soon as the task returns, so it happens
	// after event has begun recording them.
	out := g.event(func() {
		g.mu.Lock()
		r.input = &input
		r.parked = false
		close(r.release)
		g.mu.Unlock()
	})
	g.mu.Lock()
	out.Actions = append([]gokit.Action{}, r.actions...)
	g.mu.Unlock()
	return out
}

func (g *dcSched) peer(id []byte, flags []gokit.Flag) *conn {
	return &conn{node: enode.SignNull(new(enr.Record), dcID(id)), flags: connFlag(gokit.Bits(flags))}
}

func (g *dcSched) PeerAdded(id []byte, flags []gokit.Flag) gokit.Response {
	return g.event(func() { g.d.peerAdded(g.peer(id, flags)) })
}

func (g *dcSched) PeerRemoved(id []byte, flags []gokit.Flag) gokit.Response {
	return g.event(func() { g.d.peerRemoved(g.peer(id, flags)) })
}

func (g *dcSched) AddStatic(n gokit.Node) gokit.Response {
	return g.event(func() { g.d.addStatic(dcNode(n)) })
}

func (g *dcSched) RemoveStatic(n gokit.Node) gokit.Response {
	return g.event(func() { g.d.removeStatic(dcNode(n)) })
}

func (g *dcSched) InboundPending(id []byte) gokit.Response {
	return g.event(func() { dcInboundPending(g.d, dcID(id)) })
}

func (g *dcSched) InboundCompleted(id []byte) gokit.Response {
	return g.event(func() { dcInboundCompleted(g.d, dcID(id)) })
}

// Stop ends geth's loop and every task of it: waiting I/O fails, the iterator ends.
func (g *dcSched) Stop() {
	g.mu.Lock()
	if g.stopped || g.d == nil {
		g.stopped = true
		g.mu.Unlock()
		return
	}
	g.stopped = true
	for _, r := range g.runs {
		if r.input == nil {
			close(r.release) // its I/O fails: run returns nil once stopped
		}
	}
	g.runs = map[enode.ID]*dcRun{}
	g.mu.Unlock()
	g.d.stop()
}

// TestDialcheck serves geth's dialScheduler to dialcheck on stdin and stdout (run it with
// DIALCHECK=1 under `dialcheck run --cmd`); it never returns.
func TestDialcheck(t *testing.T) {
	if os.Getenv("DIALCHECK") == "" {
		t.Skip("serves dialcheck-wire/1 on stdin/stdout: run it under dialcheck --cmd with DIALCHECK=1")
	}
	gokit.Main(gokit.Implementation{
		Name:              dialcheckName,
		Version:           dialcheckVersion,
		IDBytes:           32,
		SchedulerProfiles: dcServed(dcSchedulerProfiles),
		NewScheduler: func(profile string, cfg gokit.SchedulerConfig) (gokit.Scheduler, error) {
			return dcNewScheduler(cfg), nil
		},
	})
}
