// Package main is a small dialstate written from dialcheck's spec/dialstate.md (not copied from
// geth) and served over dialcheck-wire/1 through dialcheck's Go kit (main.go). Requirement IDs of
// the spec stand beside the lines that implement them.
package main

import (
	"container/heap"
	"net"
	"time"
)

// Times arrive as int64 nanoseconds, 0 being the zero instant (DS-TIME-1, DS-TIME-2). Inside, they
// are time.Time values counted from the zero time.Time, as geth keeps them: adding 30 s to a time
// near the end of the int64 range must not wrap around (DS-TIME-1), and Sub saturates.
const fallbackInterval = 20 * time.Second

// rules is what differs between the profiles (spec section 12).
type rules struct {
	historyExpiration time.Duration // DS-HIST-1
	removeClears      bool          // DS-STATIC-5
	readsTable        bool          // DS-RANDOM-1, DS-ITER-1
	wants             bool          // DS-ITER-1
	spacing           bool          // LOOKUP_SPACING, EX-ITER-1
}

// profiles are the profiles this dialstate serves, by name.
var profiles = map[string]rules{
	"geth-1.7":   {30 * time.Second, false, true, false, true},
	"geth-1.8":   {30 * time.Second, true, true, false, true},
	"geth-1.9":   {35 * time.Second, false, true, false, true},
	"geth-1.9.7": {35 * time.Second, false, false, true, false},
}

// toTime returns the instant ns nanoseconds after the zero time.Time.
func toTime(ns int64) time.Time { return time.Time{}.Add(time.Duration(ns)) }

// Node is a node ID and its endpoint; IP nil means incomplete.
type Node struct {
	ID  string  `json:"id"`
	IP  *string `json:"ip"`
	TCP int     `json:"tcp"`
	UDP int     `json:"udp"`
}

// Config is what a dialstate is created with.
type Config struct {
	Self        string    `json:"self"`
	MaxDynDials int       `json:"max_dyn_dials"`
	Static      []Node    `json:"static"`
	Bootnodes   []Node    `json:"bootnodes"`
	Netrestrict *[]string `json:"netrestrict"`
}

// Flag names a dial task's kind: "dyn" or "static".
type Flag string

const (
	flagDyn    Flag = "dyn"
	flagStatic Flag = "static"
)

// Task is a dial, discover or wait task (*dialTask, *discoverTask, *waitTask).
type Task interface{ isTask() }

type dialTask struct {
	flag Flag
	dest Node
	// Execution state (spec section 10): the current resolve delay (0: never tried), and when
	// the task last resolved, if it ever did.
	resolveDelay time.Duration
	lastResolved int64
	resolvedOnce bool
}

// discoverTask asks the node iterator for want nodes under geth-1.9.7 (wants), for no number before.
type discoverTask struct{ want int }

type waitTask struct{ duration int64 }

func (*dialTask) isTask()     {}
func (*discoverTask) isTask() {}
func (*waitTask) isTask()     {}

// history is a min-heap of (expiry, order, id) with a count per ID for O(1) membership (DS-HIST-4).
type histEntry struct {
	exp   time.Time
	order int64
	id    string
}

type history struct {
	entries []histEntry
	count   map[string]int
	pushes  int64
}

func (h *history) Len() int { return len(h.entries) }
func (h *history) Less(i, j int) bool {
	a, b := h.entries[i], h.entries[j]
	return a.exp.Before(b.exp) || (a.exp.Equal(b.exp) && a.order < b.order)
}
func (h *history) Swap(i, j int) { h.entries[i], h.entries[j] = h.entries[j], h.entries[i] }
func (h *history) Push(x any)    { h.entries = append(h.entries, x.(histEntry)) }
func (h *history) Pop() any {
	last := h.entries[len(h.entries)-1]
	h.entries = h.entries[:len(h.entries)-1]
	return last
}

func (h *history) add(id string, exp time.Time) {
	heap.Push(h, histEntry{exp, h.pushes, id})
	h.pushes++
	h.count[id]++
}

func (h *history) contains(id string) bool { return h.count[id] > 0 }

// expire drops entries whose expiry is strictly before now (DS-HIST-3: equal still blocks).
func (h *history) expire(now time.Time) {
	for h.Len() > 0 && (h.entries[0].exp.Before(now) || has("history-expires-at-30s") && h.entries[0].exp.Equal(now)) {
		h.forget(heap.Pop(h).(histEntry).id)
	}
}

func (h *history) remove(id string) {
	for i, e := range h.entries {
		if e.id == id {
			heap.Remove(h, i)
			h.forget(id)
			return
		}
	}
}

func (h *history) forget(id string) {
	if h.count[id] <= 1 {
		delete(h.count, id)
	} else {
		h.count[id]--
	}
}

// dialstate is the scheduler.
type dialstate struct {
	rules         rules
	self          string
	maxDynDials   int
	netrestrict   []*net.IPNet
	restricted    bool
	lookupRunning bool
	dialing       map[string]Flag
	lookupBuf     []Node
	static        map[string]*dialTask
	hist          *history
	start         time.Time
	bootnodes     []Node
}

func newDialstate(cfg Config, r rules) (*dialstate, error) {
	s := &dialstate{
		rules:       r,
		self:        cfg.Self,
		maxDynDials: cfg.MaxDynDials,
		dialing:     map[string]Flag{},
		static:      map[string]*dialTask{},
		hist:        &history{count: map[string]int{}},
		// DS-INIT-2: the bootnode list is a private copy.
		bootnodes: append([]Node(nil), cfg.Bootnodes...),
	}
	if cfg.Netrestrict != nil {
		s.restricted = true
		for _, cidr := range *cfg.Netrestrict {
			_, network, err := net.ParseCIDR(cidr)
			if err != nil {
				return nil, err
			}
			s.netrestrict = append(s.netrestrict, network)
		}
	}
	// DS-INIT-3: configured statics are added as by addStatic, in order.
	for _, n := range cfg.Static {
		s.addStatic(n)
	}
	return s, nil
}

// DS-STATIC-4: addStatic stores a new task, replacing any for that ID.
func (s *dialstate) addStatic(n Node) { s.static[n.ID] = &dialTask{flag: flagStatic, dest: n} }

// DS-STATIC-4, DS-STATIC-5: removeStatic deletes the entry; geth-1.8 also drops one history entry.
func (s *dialstate) removeStatic(n Node) {
	delete(s.static, n.ID)
	if s.rules.removeClears && !has("remove-static-keeps-history-1.8") {
		s.hist.remove(n.ID)
	}
}

type checkError int

const (
	ok checkError = iota
	alreadyDialing
	alreadyConnected
	isSelf
	notWhitelisted
	recentlyDialed
)

func (s *dialstate) whitelisted(ip *string) bool {
	if ip == nil {
		return false
	}
	addr := net.ParseIP(*ip)
	for _, network := range s.netrestrict {
		if network.Contains(addr) {
			return true
		}
	}
	return false
}

// DS-CHECK-1: the checks in this order.
func (s *dialstate) checkDial(n Node, peers map[string][]Flag) checkError {
	if _, ok := s.dialing[n.ID]; ok {
		return alreadyDialing
	}
	if _, ok := peers[n.ID]; ok {
		return alreadyConnected
	}
	if n.ID == s.self && !has("self-dialed") {
		return isSelf
	}
	if s.restricted && !s.whitelisted(n.IP) {
		return notWhitelisted
	}
	if s.hist.contains(n.ID) {
		return recentlyDialed
	}
	return ok
}

func hasFlag(flags []Flag, f Flag) bool {
	for _, g := range flags {
		if g == f {
			return true
		}
	}
	return false
}

func (s *dialstate) newTasks(running int, peers map[string][]Flag, nowNs int64, table []Node) []Task {
	now := toTime(nowNs)
	// DS-TIME-2: start is set while it is the zero instant.
	if s.start.IsZero() {
		s.start = now
	}
	var tasks []Task
	addDial := func(flag Flag, n Node) bool {
		if s.checkDial(n, peers) != ok {
			return false
		}
		s.dialing[n.ID] = flag
		tasks = append(tasks, &dialTask{flag: flag, dest: n})
		return true
	}
	// DS-NEED-1: need may be negative.
	need := s.maxDynDials
	for _, flags := range peers {
		if hasFlag(flags, flagDyn) || has("static-peers-count") && hasFlag(flags, flagStatic) {
			need--
		}
	}
	for _, flag := range s.dialing {
		if flag == flagDyn && !has("need-ignores-dialing") {
			need--
		}
	}
	// DS-HIST-2: expire before any check.
	s.hist.expire(now)
	// DS-STATIC-1..3: every static that passes is dialed, the same object each time.
	for id, t := range s.static {
		switch s.checkDial(t.dest, peers) {
		case isSelf, notWhitelisted:
			delete(s.static, id)
		case ok:
			s.dialing[id] = t.flag
			tasks = append(tasks, t)
		}
	}
	// DS-FALLBACK-1: no peers, a bootnode, need > 0 and more than 20 s since start.
	if len(peers) == 0 && len(s.bootnodes) > 0 && need > 0 && (now.Sub(s.start) > fallbackInterval || has("fallback-at-20s") && now.Sub(s.start) == fallbackInterval) {
		b := s.bootnodes[0]
		if !has("bootnodes-not-rotated") {
			s.bootnodes = append(s.bootnodes[1:], b)
		}
		if addDial(flagDyn, b) {
			need--
		}
	}
	// DS-RANDOM-1, DS-RANDOM-2: need/2 candidates (truncated), at most maxDynDials/2 read; DS-ITER-1:
	// no table from v1.9.7.
	if candidates := need / map[bool]int{false: 2, true: 1}[has("random-takes-whole-need")]; candidates > 0 && s.rules.readsTable {
		read := len(table)
		if half := s.maxDynDials / 2; half < read {
			read = half
		}
		if candidates < read {
			read = candidates
		}
		for _, n := range table[:read] {
			if addDial(flagDyn, n) {
				need--
			}
		}
	}
	// DS-LOOKUP-1: lookup results in order while need > 0; every tried one is consumed.
	tried := 0
	for ; tried < len(s.lookupBuf) && need > 0; tried++ {
		if addDial(flagDyn, s.lookupBuf[tried]) {
			need--
		}
	}
	if !has("lookup-buffer-kept") {
		s.lookupBuf = s.lookupBuf[tried:]
	}
	// DS-LOOKUP-2: one lookup at a time, when the buffer holds fewer than need nodes.
	if len(s.lookupBuf) < need && (!s.lookupRunning || has("second-lookup")) {
		s.lookupRunning = true
		// DS-ITER-1: from v1.9.7 the lookup asks the node iterator for the need, less the buffer.
		tasks = append(tasks, &discoverTask{want: need - len(s.lookupBuf)})
	}
	// DS-WAIT-1: nothing else to do and nothing running: wait for the earliest expiry.
	if (running == 0 || has("wait-while-running")) && len(tasks) == 0 && s.hist.Len() > 0 {
		tasks = append(tasks, &waitTask{duration: int64(s.hist.entries[0].exp.Sub(now))})
	}
	return tasks
}

func (s *dialstate) taskDone(t Task, nowNs int64, results []Node) {
	switch t := t.(type) {
	case *dialTask:
		// DS-HIST-1: every finished dial is remembered for 30 s.
		s.hist.add(t.dest.ID, toTime(nowNs).Add(s.rules.historyExpiration-time.Duration(map[bool]int{true: 1}[has("short-history")])*time.Second))
		delete(s.dialing, t.dest.ID)
	case *discoverTask:
		// DS-LOOKUP-3: results are appended unfiltered.
		s.lookupRunning = has("lookup-mark-kept")
		s.lookupBuf = append(s.lookupBuf, results...)
	}
	// DS-DONE-1: a finished wait changes nothing.
}
