package gokit

import (
	"encoding/json"
	"net"
)

// SchedulerConfig is what geth's newDialScheduler is given (spec/scheduler.md section 1):
// our ID, the dialed-peer and active-dial limits (MaxActiveDials 0 means 50), netrestrict (nil:
// none; an empty list admits no IP) and whether a resolver (a discovery table) exists.
type SchedulerConfig struct {
	Self           []byte
	MaxDialPeers   int
	MaxActiveDials int
	Netrestrict    []string
	Resolver       bool
}

// SchedDial is a dial a scheduler started: Dyn or Static, and the destination.
type SchedDial struct {
	Flag Flag
	Dest Node
}

// RunInput is what the environment answers while a dial task runs (spec/scheduler.md section
// 11): what a DHT resolve finds (nil: nothing), what a DNS lookup of the destination's hostname
// finds (nil: nothing), each TCP attempt's outcome in order (beyond them: failure), and whether
// the server adds a connection the task made as a peer.
type RunInput struct {
	Found    *Node
	DNS      net.IP
	Connects []bool
	Joins    bool
}

// Connect returns the outcome of TCP attempt i (0-based).
func (r RunInput) Connect(i int) bool { return i < len(r.Connects) && r.Connects[i] }

// Action is one thing a dial task's run did: a resolve of ID that found Found, a DNS lookup of
// Hostname that found IP, or a TCP attempt to Dest.
type Action struct {
	Kind      string // "resolve", "dns" or "connect"
	ID        []byte
	Found     *Node
	Hostname  string
	IP        net.IP
	Dest      Node
	Connected bool
}

// Response is a scheduler's answer to an event: the dials it started (any order), the IDs of
// those whose runs needed no answer and returned at once, whether it now reads the node
// iterator, and for DialDone what the task's run did, in order.
type Response struct {
	Dials   []SchedDial
	Done    [][]byte
	Reads   bool
	Actions []Action
}

// Scheduler is geth's event-driven dialScheduler (v1.9.11 on) seen from its server: one method
// per event of spec/scheduler.md section 2. Times are nanoseconds of the scheduler's clock.
type Scheduler interface {
	Start(now int64) Response
	Advance(now int64) Response
	NodeOffered(n Node) Response
	DialDone(id []byte, run RunInput) Response
	PeerAdded(id []byte, flags []Flag) Response
	PeerRemoved(id []byte, flags []Flag) Response
	AddStatic(n Node) Response
	RemoveStatic(n Node) Response
	InboundPending(id []byte) Response
	InboundCompleted(id []byte) Response
}

// Stopper is implemented by a scheduler (or dialstate) that holds goroutines or other resources:
// the kit calls Stop on it before the next init replaces it and when it stops serving, so that
// glue around a live loop (geth's dialScheduler runs its own goroutines) can end it and release
// its blocked fakes. Stop must return only when nothing of it runs any more.
type Stopper interface {
	Stop()
}

type wireSchedConfig struct {
	Self           *string   `json:"self"`
	MaxDialPeers   int       `json:"max_dial_peers"`
	MaxActiveDials int       `json:"max_active_dials"`
	Netrestrict    *[]string `json:"netrestrict"`
	Resolver       *bool     `json:"resolver"`
}

func (s *server) isSchedulerProfile(profile string) bool {
	for _, p := range s.impl.SchedulerProfiles {
		if p == profile {
			return true
		}
	}
	return false
}

func (s *server) initScheduler(req *request, raw json.RawMessage) answer {
	var c wireSchedConfig
	if err := json.Unmarshal(raw, &c); err != nil || c.Self == nil {
		return refuse("bad config: %v", err)
	}
	self, err := s.id(*c.Self, "config.self")
	if err != nil {
		return refuse("%v", err)
	}
	cfg := SchedulerConfig{Self: self, MaxDialPeers: c.MaxDialPeers, MaxActiveDials: c.MaxActiveDials, Resolver: true}
	if c.Netrestrict != nil {
		cfg.Netrestrict = append([]string{}, *c.Netrestrict...)
	}
	if c.Resolver != nil {
		cfg.Resolver = *c.Resolver
	}
	s.stopCurrent()
	sched, err := s.impl.NewScheduler(req.Profile, cfg)
	if err != nil {
		return refuse("init: %v", err)
	}
	s.state, s.sched = nil, sched
	return answer{"ok": true}
}

// event answers a scheduler event (spec/scheduler.md section 2).
func (s *server) event(req *request) answer {
	var r Response
	switch req.Op {
	case "start", "advance":
		if req.Op == "start" {
			r = s.sched.Start(req.Now)
		} else {
			r = s.sched.Advance(req.Now)
		}
	case "node_offered", "add_static", "remove_static":
		if req.Node == nil {
			return refuse("%s without node", req.Op)
		}
		n, err := s.node(*req.Node, "node")
		if err != nil {
			return refuse("%v", err)
		}
		switch req.Op {
		case "node_offered":
			r = s.sched.NodeOffered(n)
		case "add_static":
			r = s.sched.AddStatic(n)
		default:
			r = s.sched.RemoveStatic(n)
		}
	default:
		if req.ID == nil {
			return refuse("%s without id", req.Op)
		}
		id, err := s.id(*req.ID, "id")
		if err != nil {
			return refuse("%v", err)
		}
		switch req.Op {
		case "peer_added":
			r = s.sched.PeerAdded(id, req.Flags)
		case "peer_removed":
			r = s.sched.PeerRemoved(id, req.Flags)
		case "inbound_pending":
			r = s.sched.InboundPending(id)
		case "inbound_completed":
			r = s.sched.InboundCompleted(id)
		default:
			run := RunInput{Connects: req.Connects, Joins: req.Joins}
			if req.Found != nil {
				found, err := s.node(*req.Found, "found")
				if err != nil {
					return refuse("%v", err)
				}
				run.Found = &found
			}
			if req.DNS != nil {
				if run.DNS = net.ParseIP(*req.DNS); run.DNS == nil {
					return refuse("dns %q is not an IP address", *req.DNS)
				}
			}
			r = s.sched.DialDone(id, run)
		}
	}
	return responseJSON(r)
}

func responseJSON(r Response) answer {
	dials := make([]any, 0, len(r.Dials))
	for _, d := range r.Dials {
		dials = append(dials, map[string]any{"flags": []Flag{d.Flag}, "dest": nodeJSON(d.Dest)})
	}
	a := answer{"ok": true, "dials": dials, "reads": r.Reads}
	if len(r.Done) > 0 {
		done := make([]string, 0, len(r.Done))
		for _, id := range r.Done {
			done = append(done, HexID(id))
		}
		a["done"] = done
	}
	if len(r.Actions) > 0 {
		actions := make([]any, 0, len(r.Actions))
		for _, x := range r.Actions {
			actions = append(actions, actionJSON(x))
		}
		a["actions"] = actions
	}
	return a
}

func actionJSON(x Action) map[string]any {
	switch x.Kind {
	case "resolve":
		var found any
		if x.Found != nil {
			found = nodeJSON(*x.Found)
		}
		return map[string]any{"type": "resolve", "id": HexID(x.ID), "found": found}
	case "dns":
		var ip any
		if x.IP != nil {
			ip = x.IP.String()
		}
		return map[string]any{"type": "dns", "hostname": x.Hostname, "ip": ip}
	default:
		return map[string]any{"type": "connect", "dest": nodeJSON(x.Dest), "connected": x.Connected}
	}
}

// schedulerOps are the events of spec/scheduler.md section 2, as wire ops.
var schedulerOps = map[string]bool{
	"start": true, "advance": true, "node_offered": true, "dial_done": true, "peer_added": true,
	"peer_removed": true, "add_static": true, "remove_static": true, "inbound_pending": true,
	"inbound_completed": true,
}

// checkSchedulerOp says whether op is an event for the scheduler in use.
func (s *server) checkSchedulerOp(op string) bool { return s.sched != nil && schedulerOps[op] }
