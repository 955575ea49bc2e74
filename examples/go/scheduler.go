// scheduler.go is geth's event-driven dialScheduler (p2p/dial.go, v1.9.11 on) written against
// the kit's values, one function per event of dialcheck's spec/scheduler.md. It picks static
// dials with its own seeded random numbers, as geth does with rand.Intn: dialcheck's oracle
// accepts any choice the spec allows (SC-CHOICE-2).
package main

import (
	"math/rand"
	"net"
	"sort"
	"time"

	"dialcheck/gokit"
)

const (
	schedHistoryExpiration   = 35 * time.Second // SC-DIAL-1
	schedInitialResolveDelay = 60 * time.Second
	schedMaxResolveDelay     = time.Hour
	defaultActiveDials       = 50 // SC-CONFIG-1
)

// schedRules is what differs between the scheduler profiles (spec/scheduler.md section 13).
type schedRules struct{ portCheck, dns, pending, dropsOtherFamily bool }

var schedProfiles = map[string]schedRules{
	"geth-1.9.11": {}, "geth-1.9.14": {portCheck: true},
	"geth-1.15": {portCheck: true, dns: true}, "geth-1.17.2": {portCheck: true, dns: true, pending: true},
	"geth-1.17.8": {portCheck: true, dns: true, pending: true, dropsOtherFamily: true},
}

type schedTask struct {
	static       bool
	dest         gokit.Node
	resolveDelay time.Duration
	lastResolved int64 // 0: never (geth's lastResolved > 0 test, SC-RESOLVE-2)
	// ip4 and ip6 are the addresses of the destination's record once a DNS answer set them
	// (addressed); before, dest.IP says (SC-DNS-2).
	ip4, ip6  net.IP
	addressed bool
}

type schedHistEntry struct {
	exp int64
	id  string
}

type scheduler struct {
	rules        schedRules
	self         string
	maxDialPeers int
	maxActive    int
	nets         []*net.IPNet // nil: no restriction
	resolver     bool
	rng          *rand.Rand

	now       int64
	dialing   map[string]*schedTask
	peers     map[string]bool
	dialPeers int
	static    map[string]*schedTask
	pool      []string
	history   []schedHistEntry
	pending   map[string]bool
}

func newScheduler(profile string, cfg gokit.SchedulerConfig) (*scheduler, error) {
	s := &scheduler{
		rules: schedProfiles[profile], self: gokit.HexID(cfg.Self), maxDialPeers: cfg.MaxDialPeers,
		maxActive: cfg.MaxActiveDials, resolver: cfg.Resolver, rng: rand.New(rand.NewSource(0x1111)),
		dialing: map[string]*schedTask{}, peers: map[string]bool{}, static: map[string]*schedTask{},
		pending: map[string]bool{},
	}
	if s.maxActive == 0 {
		s.maxActive = defaultActiveDials
	}
	if cfg.Netrestrict != nil {
		s.nets = []*net.IPNet{}
		for _, cidr := range cfg.Netrestrict {
			_, n, err := net.ParseCIDR(cidr)
			if err != nil {
				return nil, err
			}
			s.nets = append(s.nets, n)
		}
	}
	return s, nil
}

// -- events ------------------------------------------------------------------------------

func (s *scheduler) Start(now int64) gokit.Response { s.now = now; return s.loopHead(nil) }

func (s *scheduler) Advance(now int64) gokit.Response {
	s.now = now
	for len(s.history) > 0 && s.history[0].exp < now { // SC-HIST-1: an entry expiring exactly now stays
		id := s.history[0].id
		s.history = s.history[1:]
		s.updatePool(id)
	}
	return s.loopHead(nil)
}

func (s *scheduler) NodeOffered(n gokit.Node) gokit.Response {
	var started []*dialing
	if s.checkDial(n) { // SC-DYN-1
		started = append(started, s.startDial(&schedTask{dest: n}))
	}
	return s.loopHead(started)
}

func (s *scheduler) DialDone(id []byte, run gokit.RunInput) gokit.Response {
	key := gokit.HexID(id)
	t := s.dialing[key]
	if t == nil {
		return gokit.Response{}
	}
	actions := s.run(t, run)
	if run.Joins && connected(actions) { // SC-PEER-3
		s.addPeer(key, true)
	}
	delete(s.dialing, key) // SC-DONE-1
	s.updatePool(key)
	r := s.loopHead(nil)
	r.Actions = actions
	return r
}

func (s *scheduler) PeerAdded(id []byte, flags []gokit.Flag) gokit.Response {
	s.addPeer(gokit.HexID(id), false, flags...)
	return s.loopHead(nil)
}

func (s *scheduler) PeerRemoved(id []byte, flags []gokit.Flag) gokit.Response {
	key := gokit.HexID(id)
	if dialed(flags) {
		s.dialPeers-- // SC-PEER-2
	}
	delete(s.peers, key)
	s.updatePool(key)
	return s.loopHead(nil)
}

func (s *scheduler) AddStatic(n gokit.Node) gokit.Response {
	key := gokit.HexID(n.ID)
	if s.static[key] == nil { // SC-STATIC-1: a known node keeps its task
		s.static[key] = &schedTask{static: true, dest: n}
		if s.checkDial(n) {
			s.pool = append(s.pool, key)
		}
	}
	return s.loopHead(nil)
}

func (s *scheduler) RemoveStatic(n gokit.Node) gokit.Response {
	key := gokit.HexID(n.ID)
	delete(s.static, key) // SC-STATIC-2
	s.unpool(key)
	return s.loopHead(nil)
}

func (s *scheduler) InboundPending(id []byte) gokit.Response {
	if s.rules.pending { // SC-INBOUND-1
		s.pending[gokit.HexID(id)] = true
	}
	return s.loopHead(nil)
}

func (s *scheduler) InboundCompleted(id []byte) gokit.Response {
	if s.rules.pending {
		key := gokit.HexID(id)
		delete(s.pending, key)
		s.updatePool(key)
	}
	return s.loopHead(nil)
}

// -- the loop head ------------------------------------------------------------------------

type dialing struct {
	id  string
	d   gokit.SchedDial
	now bool // returns at once (SC-RUN-3)
}

// loopHead starts statics while slots are free, picking each at random from the pool (SC-LOOP-1,
// SC-CHOICE-1); a dial whose run needs no answer returns before the next loop head (SC-RUN-3).
func (s *scheduler) loopHead(started []*dialing) gokit.Response {
	var r gokit.Response
	all := started
	for {
		for slots := s.freeSlots(); slots > 0 && len(s.pool) > 0; slots-- {
			i := s.rng.Intn(len(s.pool))
			key := s.pool[i]
			s.unpool(key)
			all = append(all, s.startDial(s.static[key]))
		}
		returned := false
		for _, d := range all {
			if d.now && s.dialing[d.id] != nil {
				s.run(s.dialing[d.id], gokit.RunInput{})
				delete(s.dialing, d.id)
				s.updatePool(d.id)
				r.Done = append(r.Done, d.d.Dest.ID)
				returned = true
			}
		}
		if !returned {
			break
		}
	}
	for _, d := range all {
		r.Dials = append(r.Dials, d.d)
	}
	r.Reads = s.freeSlots() > 0
	return r
}

func (s *scheduler) freeSlots() int { // SC-SLOTS-1
	slots := (s.maxDialPeers - s.dialPeers) * 2
	if slots > s.maxActive {
		slots = s.maxActive
	}
	return slots - len(s.dialing)
}

func (s *scheduler) startDial(t *schedTask) *dialing { // SC-DIAL-1
	key := gokit.HexID(t.dest.ID)
	s.history = append(s.history, schedHistEntry{s.now + int64(schedHistoryExpiration), key})
	sort.SliceStable(s.history, func(i, j int) bool { return s.history[i].exp < s.history[j].exp })
	s.dialing[key] = t
	flag := gokit.Dyn
	if t.static {
		flag = gokit.Static
	}
	return &dialing{key, gokit.SchedDial{Flag: flag, Dest: t.dest}, s.instant(t)}
}

// checkDial is geth's checkDial, in its order (SC-CHECK-1).
func (s *scheduler) checkDial(n gokit.Node) bool {
	key := gokit.HexID(n.ID)
	switch {
	case key == s.self:
		return false
	case s.rules.portCheck && n.IP != nil && n.TCP == 0: // SC-CHECK-2
		return false
	case s.dialing[key] != nil, s.peers[key], s.pending[key]:
		return false
	case s.nets != nil && !s.admits(n.IP): // SC-NET-1
		return false
	}
	for _, e := range s.history {
		if e.id == key {
			return false
		}
	}
	return true
}

func (s *scheduler) admits(ip net.IP) bool {
	for _, n := range s.nets {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

func (s *scheduler) updatePool(key string) { // SC-STATIC-3
	t := s.static[key]
	if t == nil || s.pooled(key) || !s.checkDial(t.dest) {
		return
	}
	s.pool = append(s.pool, key)
}

func (s *scheduler) pooled(key string) bool {
	for _, k := range s.pool {
		if k == key {
			return true
		}
	}
	return false
}

// unpool removes key from the pool as geth does: the last entry takes its place.
func (s *scheduler) unpool(key string) {
	for i, k := range s.pool {
		if k == key {
			s.pool[i] = s.pool[len(s.pool)-1]
			s.pool = s.pool[:len(s.pool)-1]
			return
		}
	}
}

// addPeer counts a dialed peer (flags Dyn or Static; a dial that joins passes none) and marks it
// connected (SC-PEER-1).
func (s *scheduler) addPeer(key string, joined bool, flags ...gokit.Flag) {
	if joined || dialed(flags) {
		s.dialPeers++
	}
	s.peers[key] = true
	s.unpool(key)
}

func dialed(flags []gokit.Flag) bool {
	for _, f := range flags {
		if f == gokit.Dyn || f == gokit.Static {
			return true
		}
	}
	return false
}

// -- running a task (section 11) ----------------------------------------------------------

func (s *scheduler) needsResolve(t *schedTask) bool { // SC-RUN-1
	return t.dest.IP == nil && (t.static || !s.rules.portCheck)
}

func (s *scheduler) instant(t *schedTask) bool { // SC-RUN-3
	if s.rules.dns && t.static && t.dest.Hostname != "" {
		return false
	}
	if !s.needsResolve(t) {
		return false
	}
	if !s.resolver {
		return true
	}
	delay := t.resolveDelay
	if delay == 0 {
		delay = schedInitialResolveDelay
	}
	return t.lastResolved > 0 && time.Duration(s.now-t.lastResolved) < delay
}

func (s *scheduler) run(t *schedTask, in gokit.RunInput) []gokit.Action {
	var actions []gokit.Action
	if s.rules.dns && t.static && t.dest.Hostname != "" { // SC-DNS-1
		actions = append(actions, gokit.Action{Kind: "dns", Hostname: t.dest.Hostname, IP: in.DNS})
		if in.DNS != nil {
			s.updateFromDNS(t, in.DNS)
		}
	}
	if s.needsResolve(t) && !s.resolve(t, in, &actions) {
		return actions
	}
	ok := in.Connect(0)
	actions = append(actions, gokit.Action{Kind: "connect", Dest: t.dest, Connected: ok})
	if !ok && t.static && s.resolve(t, in, &actions) { // SC-RUN-2
		actions = append(actions, gokit.Action{Kind: "connect", Dest: t.dest, Connected: in.Connect(1)})
	}
	return actions
}

// updateFromDNS sets the record's address of the answer's family (and, from geth-1.17.8, drops
// the other one); the destination is dialed on the preferred address (SC-DNS-2).
func (s *scheduler) updateFromDNS(t *schedTask, answer net.IP) {
	if !t.addressed {
		t.ip4, t.ip6, t.addressed = nil, nil, true
		if t.dest.IP != nil && t.dest.IP.To4() == nil {
			t.ip6 = t.dest.IP
		} else {
			t.ip4 = t.dest.IP
		}
	}
	if s.rules.dropsOtherFamily {
		t.ip4, t.ip6 = nil, nil
	}
	if answer.To4() != nil {
		t.ip4 = answer
	} else {
		t.ip6 = answer
	}
	switch {
	case t.ip4 != nil && t.ip6 != nil && localityScore(t.ip6) > localityScore(t.ip4):
		t.dest.IP = t.ip6
	case t.ip4 != nil:
		t.dest.IP = t.ip4
	default:
		t.dest.IP = t.ip6
	}
}

// localityScore ranks how global an address is, as geth's enode package does.
func localityScore(ip net.IP) int {
	switch {
	case ip.IsUnspecified():
		return 0
	case ip.IsLoopback():
		return 1
	case ip.IsLinkLocalUnicast():
		return 2
	case ip.IsPrivate():
		return 3
	default:
		return 4
	}
}

func (s *scheduler) resolve(t *schedTask, in gokit.RunInput, actions *[]gokit.Action) bool {
	if !s.resolver { // SC-RESOLVE-1
		return false
	}
	if t.resolveDelay == 0 {
		t.resolveDelay = schedInitialResolveDelay
	}
	if t.lastResolved > 0 && time.Duration(s.now-t.lastResolved) < t.resolveDelay { // SC-RESOLVE-2
		return false
	}
	*actions = append(*actions, gokit.Action{Kind: "resolve", ID: t.dest.ID, Found: in.Found})
	t.lastResolved = s.now
	if in.Found == nil { // SC-RESOLVE-3
		t.resolveDelay *= 2
		if t.resolveDelay > schedMaxResolveDelay {
			t.resolveDelay = schedMaxResolveDelay
		}
		return false
	}
	t.resolveDelay = schedInitialResolveDelay
	t.dest = *in.Found // SC-RESOLVE-4: the resolved node has no hostname
	t.addressed = false
	return true
}

func connected(actions []gokit.Action) bool {
	for _, a := range actions {
		if a.Kind == "connect" && a.Connected {
			return true
		}
	}
	return false
}
