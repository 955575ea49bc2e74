package gokit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"runtime/debug"
	"strings"
)

// Protocol is the dialcheck-wire version the kit speaks.
const Protocol = 1

// Main serves impl on stdin and stdout and exits: 0 after bye or at the end of input, 1 if
// stdin or stdout fails. Panics and errors are answered as refusals and logged on stderr.
func Main(impl Implementation) {
	if err := Serve(os.Stdin, os.Stdout, impl, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gokit:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Serve answers dialcheck-wire requests read from r, one JSON answer line per request line on
// w, until bye or the end of input. It never stops on a bad request: dialcheck judges the
// answer. Panics in the implementation are answered ok:false, with the stack written to logs
// (which may be nil).
func Serve(r io.Reader, w io.Writer, impl Implementation, logs io.Writer) error {
	in := bufio.NewReaderSize(r, 1<<16)
	out := bufio.NewWriter(w)
	s := &server{impl: impl, logs: logs}
	defer s.stopCurrent()
	for {
		line, err := in.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) == 0 {
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			continue
		}
		answer, stop := s.onLine(line)
		data, err := json.Marshal(answer)
		if err != nil {
			data, _ = json.Marshal(refuse("cannot encode the answer: %v", err))
		}
		if _, err := out.Write(append(data, '\n')); err != nil {
			return err
		}
		if err := out.Flush(); err != nil {
			return err
		}
		if stop {
			return nil
		}
	}
}

type answer = map[string]any

func refuse(format string, args ...any) answer {
	return answer{"ok": false, "error": fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) answer {
	a := refuse(format, args...)
	a["unsupported"] = true
	return a
}

type wireNode struct {
	ID       *string `json:"id"`
	IP       *string `json:"ip"`
	TCP      int     `json:"tcp"`
	UDP      int     `json:"udp"`
	Hostname string  `json:"hostname"`
}

type wirePeer struct {
	ID    *string `json:"id"`
	Flags []Flag  `json:"flags"`
}

type wireConfig struct {
	Self        *string    `json:"self"`
	MaxDynDials int        `json:"max_dyn_dials"`
	Static      []wireNode `json:"static"`
	Bootnodes   []wireNode `json:"bootnodes"`
	Netrestrict *[]string  `json:"netrestrict"`
}

type request struct {
	Op         string          `json:"op"`
	Protocol   int             `json:"protocol"`
	Profile    string          `json:"profile"`
	RawConfig  json.RawMessage `json:"config"`
	Config     *wireConfig     `json:"-"`
	Now        int64           `json:"now"`
	Running    int             `json:"running"`
	Peers      []wirePeer      `json:"peers"`
	Table      []wireNode      `json:"table"`
	Handle     *int64          `json:"handle"`
	Results    []wireNode      `json:"results"`
	Node       *wireNode       `json:"node"`
	Discovery  *bool           `json:"discovery"`
	Resolved   *wireNode       `json:"resolved"`
	Connects   []bool          `json:"connects"`
	Lookup     []wireNode      `json:"lookup"`
	LastLookup *int64          `json:"last_lookup"`
	// The dialScheduler family's events (spec/scheduler.md section 2).
	ID    *string   `json:"id"`
	Flags []Flag    `json:"flags"`
	Found *wireNode `json:"found"`
	DNS   *string   `json:"dns"`
	Joins bool      `json:"joins"`
}

type server struct {
	impl        Implementation
	logs        io.Writer
	state       Dialstate
	sched       Scheduler
	nextHandle  int64
	outstanding map[int64]any
	// handles remembers the handle of every comparable Ref: one returned again after its
	// task_done keeps it (geth hands its static dial tasks back), so that dialcheck sees the
	// same task, execution state included (spec WIRE-4).
	handles map[any]int64
}

// onLine returns the answer to one request line and whether to stop after it.
func (s *server) onLine(line []byte) (a answer, stop bool) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return refuse("bad request: %v", err), false
	}
	if req.Op == "bye" {
		return answer{"ok": true}, true
	}
	defer func() {
		if p := recover(); p != nil {
			if s.logs != nil {
				fmt.Fprintf(s.logs, "gokit: %s panicked: %v\n%s", req.Op, p, debug.Stack())
			}
			a, stop = refuse("%s panicked: %v", req.Op, p), false
		}
	}()
	return s.handle(&req), false
}

func (s *server) handle(req *request) answer {
	if req.Op == "init" && s.isSchedulerProfile(req.Profile) {
		return s.initScheduler(req, req.RawConfig)
	}
	if s.checkSchedulerOp(req.Op) {
		return s.event(req)
	}
	if req.RawConfig != nil {
		req.Config = new(wireConfig)
		if err := json.Unmarshal(req.RawConfig, req.Config); err != nil {
			return refuse("bad config: %v", err)
		}
	}
	switch req.Op {
	case "hello":
		return s.hello(req)
	case "init":
		return s.init(req)
	case "new_tasks", "task_done", "add_static", "remove_static", "execute":
		if s.state == nil {
			return refuse("no dialstate yet: send init first")
		}
	default:
		return unsupported("op %q is not supported", req.Op)
	}
	switch req.Op {
	case "new_tasks":
		return s.newTasks(req)
	case "task_done":
		ref, a := s.find(req)
		if a != nil {
			return a
		}
		results, err := s.nodes(req.Results, "results")
		if err != nil {
			return refuse("%v", err)
		}
		delete(s.outstanding, *req.Handle)
		s.state.TaskDone(ref, Time(req.Now), results)
		return answer{"ok": true}
	case "add_static", "remove_static":
		if req.Node == nil {
			return refuse("%s without node", req.Op)
		}
		n, err := s.node(*req.Node, "node")
		if err != nil {
			return refuse("%v", err)
		}
		if req.Op == "add_static" {
			s.state.AddStatic(n)
		} else {
			s.state.RemoveStatic(n)
		}
		return answer{"ok": true}
	}
	return s.execute(req)
}

// stopCurrent stops the scheduler or dialstate in use, if it is a Stopper, and forgets it.
func (s *server) stopCurrent() {
	for _, x := range []any{s.sched, s.state} {
		if stopper, ok := x.(Stopper); ok {
			stopper.Stop()
		}
	}
	s.state, s.sched = nil, nil
}

func (s *server) hello(req *request) answer {
	if req.Protocol != Protocol {
		return unsupported("protocol %d is not spoken here (only %d)", req.Protocol, Protocol)
	}
	a := answer{"ok": true, "name": s.impl.Name, "version": s.impl.Version, "protocol": Protocol,
		"profiles": append(append([]string{}, s.impl.Profiles...), s.impl.SchedulerProfiles...)}
	if s.impl.Executes {
		a["extensions"] = []string{"execute"}
	}
	if s.impl.IDBytes != 0 {
		a["id_bytes"] = s.impl.IDBytes
	}
	return a
}

func (s *server) init(req *request) answer {
	served := false
	for _, p := range s.impl.Profiles {
		served = served || p == req.Profile
	}
	if !served {
		return unsupported("profile %q is not served (only %s)", req.Profile, strings.Join(s.impl.Profiles, ", "))
	}
	if req.Config == nil || req.Config.Self == nil {
		return refuse("init without config")
	}
	cfg, err := s.config(*req.Config)
	if err != nil {
		return refuse("bad config: %v", err)
	}
	s.stopCurrent()
	s.state, s.nextHandle, s.outstanding, s.handles = nil, 1, map[int64]any{}, map[any]int64{}
	state, err := s.impl.New(req.Profile, cfg)
	if err != nil {
		return refuse("%v", err)
	}
	if state == nil {
		return refuse("New returned no dialstate")
	}
	if _, ok := state.(Executor); s.impl.Executes && !ok {
		return refuse("Implementation.Executes is set, but %T does not implement gokit.Executor", state)
	}
	s.state, s.sched = state, nil
	return answer{"ok": true}
}

func (s *server) newTasks(req *request) answer {
	peers := make([]Peer, 0, len(req.Peers))
	for i, p := range req.Peers {
		if p.ID == nil {
			return refuse("peers[%d] without id", i)
		}
		id, err := s.id(*p.ID, fmt.Sprintf("peers[%d].id", i))
		if err != nil {
			return refuse("%v", err)
		}
		peers = append(peers, Peer{ID: id, Flags: p.Flags})
	}
	table, err := s.nodes(req.Table, "table")
	if err != nil {
		return refuse("%v", err)
	}
	tasks := []answer{}
	for _, t := range s.state.NewTasks(req.Running, peers, Time(req.Now), table) {
		h := s.handleFor(t.Ref)
		s.outstanding[h] = t.Ref
		encoded := answer{"handle": h}
		switch t.Kind {
		case DialKind:
			encoded["type"], encoded["flags"], encoded["dest"] = "dial", append([]Flag{}, t.Flags...), nodeJSON(t.Dest)
		case DiscoverKind:
			encoded["type"] = "discover"
			if t.Want != nil {
				encoded["want"] = *t.Want
			}
		case WaitKind:
			encoded["type"], encoded["duration"] = "wait", int64(t.Duration)
		default:
			return refuse("task %d has unknown kind %d", len(tasks), t.Kind)
		}
		tasks = append(tasks, encoded)
	}
	return answer{"ok": true, "tasks": tasks}
}

// handleFor returns the handle for a task: the one its Ref had if it is not outstanding, else a
// fresh one.
func (s *server) handleFor(ref any) int64 {
	comparable := ref != nil && reflect.TypeOf(ref).Comparable()
	if comparable {
		if h, ok := s.handles[ref]; ok {
			if _, busy := s.outstanding[h]; !busy {
				return h
			}
		}
	}
	h := s.nextHandle
	s.nextHandle++
	if comparable {
		s.handles[ref] = h
	}
	return h
}

func (s *server) find(req *request) (any, answer) {
	if req.Handle == nil {
		return nil, refuse("%s without handle", req.Op)
	}
	ref, ok := s.outstanding[*req.Handle]
	if !ok {
		return nil, refuse("unknown handle %d: no outstanding task has it", *req.Handle)
	}
	return ref, nil
}

func (s *server) execute(req *request) answer {
	executor, ok := s.state.(Executor)
	if !ok || !s.impl.Executes {
		return unsupported("this implementation cannot execute tasks")
	}
	ref, a := s.find(req)
	if a != nil {
		return a
	}
	env := &Env{Now: Time(req.Now), Discovery: req.Discovery == nil || *req.Discovery, connects: req.Connects}
	if req.Resolved != nil {
		n, err := s.node(*req.Resolved, "resolved")
		if err != nil {
			return refuse("%v", err)
		}
		env.resolved = &n
	}
	lookup, err := s.nodes(req.Lookup, "lookup")
	if err != nil {
		return refuse("%v", err)
	}
	env.lookup = lookup
	if req.LastLookup != nil {
		t := Time(*req.LastLookup)
		env.LastLookup = &t
	}
	state, err := executor.Execute(ref, env)
	if err != nil {
		return refuse("execute: %v", err)
	}
	actions := env.actions
	if actions == nil {
		actions = []map[string]any{}
	}
	var encoded any
	if state != nil {
		var last any
		if state.LastResolved != nil {
			last = Nanos(*state.LastResolved)
		}
		encoded = answer{"resolve_delay": int64(state.ResolveDelay), "last_resolved": last, "dest": nodeJSON(state.Dest)}
	}
	return answer{"ok": true, "actions": actions, "state": encoded}
}

// -- values ---------------------------------------------------------------------

func (s *server) id(text, where string) ([]byte, error) {
	id, err := ParseID(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	if s.impl.IDBytes != 0 && len(id) != s.impl.IDBytes {
		return nil, fmt.Errorf("%s is a node ID of %d bytes, but this implementation declared id_bytes %d",
			where, len(id), s.impl.IDBytes)
	}
	return id, nil
}

func (s *server) node(n wireNode, where string) (Node, error) {
	if n.ID == nil {
		return Node{}, fmt.Errorf("%s without id", where)
	}
	id, err := s.id(*n.ID, where+".id")
	if err != nil {
		return Node{}, err
	}
	out := Node{ID: id, TCP: n.TCP, UDP: n.UDP, Hostname: n.Hostname}
	if n.IP != nil {
		if out.IP = net.ParseIP(*n.IP); out.IP == nil {
			return Node{}, fmt.Errorf("%s.ip %q is not an IP address", where, *n.IP)
		}
	}
	return out, nil
}

func (s *server) nodes(in []wireNode, where string) ([]Node, error) {
	out := make([]Node, 0, len(in))
	for i, n := range in {
		node, err := s.node(n, fmt.Sprintf("%s[%d]", where, i))
		if err != nil {
			return nil, err
		}
		out = append(out, node)
	}
	return out, nil
}

func (s *server) config(c wireConfig) (Config, error) {
	self, err := s.id(*c.Self, "config.self")
	if err != nil {
		return Config{}, err
	}
	static, err := s.nodes(c.Static, "config.static")
	if err != nil {
		return Config{}, err
	}
	bootnodes, err := s.nodes(c.Bootnodes, "config.bootnodes")
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Self: self, MaxDynDials: c.MaxDynDials, Static: static, Bootnodes: bootnodes}
	if c.Netrestrict != nil {
		cfg.Netrestrict = append([]string{}, *c.Netrestrict...)
	}
	return cfg, nil
}

// nodeJSON returns n in its wire form.
func nodeJSON(n Node) map[string]any {
	var ip any
	if n.IP != nil {
		ip = n.IP.String()
	}
	out := map[string]any{"id": HexID(n.ID), "ip": ip, "tcp": n.TCP, "udp": n.UDP}
	if n.Hostname != "" {
		out["hostname"] = n.Hostname
	}
	return out
}
