package gokit

import (
	"encoding/json"
	"net"
	"testing"
)

// fakeSched records the events it is told of and answers each with one dial of what it was told.
type fakeSched struct {
	cfg    SchedulerConfig
	events []string
	run    RunInput
}

func (f *fakeSched) answer(event string, n Node) Response {
	f.events = append(f.events, event)
	return Response{Dials: []SchedDial{{Flag: Static, Dest: n}}, Reads: true}
}

func (f *fakeSched) Start(now int64) Response {
	f.events = append(f.events, "start")
	return Response{}
}
func (f *fakeSched) Advance(now int64) Response {
	f.events = append(f.events, "advance")
	return Response{}
}
func (f *fakeSched) NodeOffered(n Node) Response {
	return f.answer("node_offered", n)
}
func (f *fakeSched) DialDone(id []byte, run RunInput) Response {
	f.events, f.run = append(f.events, "dial_done"), run
	return Response{Done: [][]byte{id}, Actions: []Action{
		{Kind: "dns", Hostname: "n.example", IP: run.DNS},
		{Kind: "resolve", ID: id, Found: run.Found},
		{Kind: "connect", Dest: Node{ID: id}, Connected: run.Connect(0)},
	}}
}
func (f *fakeSched) PeerAdded(id []byte, flags []Flag) Response {
	return f.answer("peer_added:"+string(flags[0]), Node{ID: id})
}
func (f *fakeSched) PeerRemoved(id []byte, flags []Flag) Response {
	return f.answer("peer_removed", Node{ID: id})
}
func (f *fakeSched) AddStatic(n Node) Response    { return f.answer("add_static:"+n.Hostname, n) }
func (f *fakeSched) RemoveStatic(n Node) Response { return f.answer("remove_static", n) }
func (f *fakeSched) InboundPending(id []byte) Response {
	return f.answer("inbound_pending", Node{ID: id})
}
func (f *fakeSched) InboundCompleted(id []byte) Response {
	return f.answer("inbound_completed", Node{ID: id})
}

var lastSched *fakeSched

func schedImpl() Implementation {
	i := impl(0)
	i.SchedulerProfiles = []string{"geth-1.15"}
	i.NewScheduler = func(profile string, cfg SchedulerConfig) (Scheduler, error) {
		lastSched = &fakeSched{cfg: cfg}
		return lastSched, nil
	}
	return i
}

const schedInit = `{"op":"init","profile":"geth-1.15","config":{"self":"ff","max_dial_peers":3,"max_active_dials":0,"netrestrict":["10.0.0.0/8"],"resolver":false}}`

func TestHelloListsTheSchedulerProfilesBesideTheDialstateOnes(t *testing.T) {
	a := serve(t, schedImpl(), `{"op":"hello","protocol":1}`)
	profiles := a[0]["profiles"].([]any)
	if len(profiles) != 2 || profiles[0] != "geth-1.7" || profiles[1] != "geth-1.15" {
		t.Fatalf("hello: %v", a[0])
	}
}

func TestASchedulerInitDecodesItsConfigAndEventsReachTheScheduler(t *testing.T) {
	a := serve(t, schedImpl(), schedInit,
		`{"op":"start","now":5}`,
		`{"op":"add_static","node":{"id":"01","ip":null,"tcp":30303,"udp":0,"hostname":"n1.example"}}`,
		`{"op":"peer_added","id":"02","flags":["inbound"]}`,
		`{"op":"dial_done","id":"01","found":{"id":"01","ip":"10.0.0.9","tcp":1,"udp":1},"dns":"10.0.0.7","connects":[true],"joins":true}`,
		`{"op":"inbound_pending","id":"03"}`,
		`{"op":"new_tasks","now":1,"running":0,"peers":[],"table":[]}`)
	c := lastSched.cfg
	if HexID(c.Self) != "ff" || c.MaxDialPeers != 3 || c.Resolver || len(c.Netrestrict) != 1 {
		t.Fatalf("config: %+v", c)
	}
	if a[0]["ok"] != true || a[1]["ok"] != true || a[1]["reads"] != false {
		t.Fatalf("init/start: %v %v", a[0], a[1])
	}
	dial := a[2]["dials"].([]any)[0].(map[string]any)
	if dial["flags"].([]any)[0] != "static" || dial["dest"].(map[string]any)["hostname"] != "n1.example" {
		t.Fatalf("add_static: %v", a[2])
	}
	if lastSched.events[2] != "peer_added:inbound" || !lastSched.run.Joins || !lastSched.run.DNS.Equal(net.ParseIP("10.0.0.7")) {
		t.Fatalf("events %v, run %+v", lastSched.events, lastSched.run)
	}
	done, _ := json.Marshal(a[4])
	want := `{"actions":[{"hostname":"n.example","ip":"10.0.0.7","type":"dns"},` +
		`{"found":{"id":"01","ip":"10.0.0.9","tcp":1,"udp":1},"id":"01","type":"resolve"},` +
		`{"connected":true,"dest":{"id":"01","ip":null,"tcp":0,"udp":0},"type":"connect"}],"dials":[],"done":["01"],"ok":true,"reads":false}`
	if string(done) != want {
		t.Fatalf("dial_done answered\n%s\nwant\n%s", done, want)
	}
	if a[6]["ok"] != false {
		t.Fatalf("a dialstate op after a scheduler init must be refused: %v", a[6])
	}
}

func TestADialstateInitEndsTheSchedulerAndUnknownSchedulerProfilesAreRefused(t *testing.T) {
	a := serve(t, schedImpl(), schedInit, initReq, `{"op":"start","now":1}`,
		`{"op":"init","profile":"geth-1.17.2","config":{"self":"ff","max_dial_peers":1}}`)
	if a[1]["ok"] != true || a[2]["ok"] != false || a[3]["ok"] != false {
		t.Fatalf("answers: %v", a)
	}
}

// stoppingSched is a fakeSched that counts how often it was stopped.
type stoppingSched struct {
	fakeSched
	stops *int
}

func (s *stoppingSched) Stop() { *s.stops++ }

func TestAStopperIsStoppedWhenTheNextInitReplacesItAndWhenServingEnds(t *testing.T) {
	stops := []*int{}
	i := impl(0)
	i.SchedulerProfiles = []string{"geth-1.15"}
	i.NewScheduler = func(profile string, cfg SchedulerConfig) (Scheduler, error) {
		stops = append(stops, new(int))
		return &stoppingSched{stops: stops[len(stops)-1]}, nil
	}
	serve(t, i, schedInit, `{"op":"start","now":1}`, schedInit, `{"op":"start","now":2}`, initReq)
	// Stopped once each: the first by the second init, the second by the dialstate init.
	if len(stops) != 2 || *stops[0] != 1 || *stops[1] != 1 {
		t.Fatalf("stops: %d, %d", *stops[0], *stops[1])
	}
	serve(t, i, schedInit)
	if len(stops) != 3 || *stops[2] != 1 {
		t.Fatalf("a scheduler in use when serving ends must be stopped (%d)", *stops[2])
	}
}
