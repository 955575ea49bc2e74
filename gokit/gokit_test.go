package gokit

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"
)

// fake is a dialstate that dials every table node once, records what it is given and panics on
// a remove_static of a node with ID 0xdead.
type fake struct {
	cfg     Config
	done    []any
	results [][]Node
	statics []Node
	now     []time.Time
	peers   []Peer
}

type dialRef struct{ dest Node }

func (f *fake) NewTasks(running int, peers []Peer, now time.Time, table []Node) []Task {
	f.now, f.peers = append(f.now, now), peers
	tasks := []Task{}
	for _, n := range table {
		tasks = append(tasks, Dial(Dyn, n, &dialRef{n}))
	}
	if running == 0 {
		tasks = append(tasks, Discover("lookup"), Wait(3*time.Second, "wait"))
	}
	return tasks
}

func (f *fake) TaskDone(ref any, now time.Time, results []Node) {
	f.done, f.results = append(f.done, ref), append(f.results, results)
}

func (f *fake) AddStatic(n Node) { f.statics = append(f.statics, n) }

func (f *fake) RemoveStatic(n Node) {
	if HexID(n.ID) == "dead" {
		panic("boom")
	}
}

func (f *fake) Execute(ref any, env *Env) (*DialState, error) {
	d, ok := ref.(*dialRef)
	if !ok {
		env.Sleep(-time.Second)
		env.Lookup()
		return nil, nil
	}
	found := env.Resolve(d.dest.ID)
	env.Connect(d.dest)
	env.Connect(d.dest)
	last := env.Now
	state := &DialState{ResolveDelay: time.Minute, LastResolved: &last, Dest: d.dest}
	if found != nil {
		state.Dest = *found
	}
	return state, nil
}

func serve(t *testing.T, impl Implementation, requests ...string) []map[string]any {
	t.Helper()
	var out bytes.Buffer
	if err := Serve(strings.NewReader(strings.Join(requests, "\n")+"\n"), &out, impl, nil); err != nil {
		t.Fatal(err)
	}
	answers := []map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("answer %q is not JSON: %v", line, err)
		}
		answers = append(answers, a)
	}
	return answers
}

var last *fake

func impl(idBytes int) Implementation {
	return Implementation{
		Name: "fake", Version: "1", Profiles: []string{"geth-1.7"}, IDBytes: idBytes, Executes: true,
		New: func(profile string, cfg Config) (Dialstate, error) {
			last = &fake{cfg: cfg}
			return last, nil
		},
	}
}

const initReq = `{"op":"init","profile":"geth-1.7","config":{"self":"ff","max_dyn_dials":2,"static":[],"bootnodes":[{"id":"01","ip":"10.0.0.1","tcp":30303,"udp":30303}],"netrestrict":[]}}`

func TestHelloAdvertisesProfilesExtensionsAndIDWidth(t *testing.T) {
	a := serve(t, impl(32), `{"op":"hello","protocol":1}`, `{"op":"hello","protocol":2}`)
	if a[0]["ok"] != true || a[0]["id_bytes"] != 32.0 || a[0]["extensions"].([]any)[0] != "execute" ||
		a[0]["profiles"].([]any)[0] != "geth-1.7" || a[0]["protocol"] != 1.0 {
		t.Fatalf("hello: %v", a[0])
	}
	if a[1]["ok"] != false || a[1]["unsupported"] != true {
		t.Fatalf("protocol 2: %v", a[1])
	}
	plain := impl(0)
	plain.Executes = false
	a = serve(t, plain, `{"op":"hello","protocol":1}`)
	if _, ok := a[0]["id_bytes"]; ok {
		t.Fatalf("undeclared width in hello: %v", a[0])
	}
	if _, ok := a[0]["extensions"]; ok {
		t.Fatalf("execute advertised without Executes: %v", a[0])
	}
}

func TestInitDecodesTheConfigAndRefusesUnservedProfilesAndCallsBeforeIt(t *testing.T) {
	a := serve(t, impl(0),
		`{"op":"new_tasks","now":0,"running":0,"peers":[],"table":[]}`,
		`{"op":"init","profile":"geth-1.8","config":{"self":"ff","max_dyn_dials":0}}`,
		initReq,
		`{"op":"frobnicate"}`,
	)
	if a[0]["ok"] != false || !strings.Contains(a[0]["error"].(string), "init first") {
		t.Fatalf("before init: %v", a[0])
	}
	if a[1]["unsupported"] != true {
		t.Fatalf("unserved profile: %v", a[1])
	}
	if a[2]["ok"] != true || last.cfg.MaxDynDials != 2 || HexID(last.cfg.Self) != "ff" ||
		last.cfg.Bootnodes[0].IP.String() != "10.0.0.1" || last.cfg.Netrestrict == nil || len(last.cfg.Netrestrict) != 0 {
		t.Fatalf("init: %v %+v", a[2], last.cfg)
	}
	if a[3]["unsupported"] != true {
		t.Fatalf("unknown op: %v", a[3])
	}
}

func TestTasksGetFreshHandlesAndTaskDoneHandsTheRefBack(t *testing.T) {
	a := serve(t, impl(0), initReq,
		`{"op":"new_tasks","now":5,"running":0,"peers":[{"id":"07","flags":["dyn","trusted"]}],"table":[{"id":"02","ip":"10.0.0.2","tcp":1,"udp":2},{"id":"03","ip":null,"tcp":0,"udp":0}]}`,
		`{"op":"task_done","now":9,"handle":3,"results":[{"id":"04","ip":"::ffff:10.0.0.4","tcp":3,"udp":3}]}`,
		`{"op":"task_done","now":9,"handle":3}`,
		`{"op":"task_done","now":9,"handle":1}`,
	)
	tasks := a[1]["tasks"].([]any)
	want := []string{"dial", "dial", "discover", "wait"}
	for i, task := range tasks {
		m := task.(map[string]any)
		if m["type"] != want[i] || m["handle"] != float64(i+1) {
			t.Fatalf("task %d: %v", i, m)
		}
	}
	if d := tasks[1].(map[string]any)["dest"].(map[string]any); d["ip"] != nil || d["id"] != "03" {
		t.Fatalf("incomplete dest: %v", d)
	}
	if w := tasks[3].(map[string]any); w["duration"] != 3e9 {
		t.Fatalf("wait: %v", w)
	}
	if Nanos(last.now[0]) != 5 || !last.peers[0].Has(Trusted) || last.peers[0].Has(Static) {
		t.Fatalf("new_tasks inputs: %v %v", last.now, last.peers)
	}
	if a[2]["ok"] != true || last.done[0] != "lookup" || last.results[0][0].IP.String() != "10.0.0.4" {
		t.Fatalf("task_done: %v %v %v", a[2], last.done, last.results)
	}
	if a[3]["ok"] != false || !strings.Contains(a[3]["error"].(string), "unknown handle 3") {
		t.Fatalf("finished handle: %v", a[3])
	}
	if ref, ok := last.done[1].(*dialRef); a[4]["ok"] != true || !ok || HexID(ref.dest.ID) != "02" {
		t.Fatalf("dial task_done: %v %v", a[4], last.done)
	}
}

func TestADeclaredWidthRefusesIDsOfAnotherWidth(t *testing.T) {
	wide := strings.Repeat("00", 63) + "02"
	narrow := strings.Repeat("00", 31) + "02"
	a := serve(t, impl(32),
		`{"op":"init","profile":"geth-1.7","config":{"self":"`+narrow+`","max_dyn_dials":1}}`,
		`{"op":"add_static","node":{"id":"`+wide+`","ip":"10.0.0.2","tcp":1,"udp":1}}`,
		`{"op":"add_static","node":{"id":"`+narrow+`","ip":"10.0.0.2","tcp":1,"udp":1}}`,
		`{"op":"add_static","node":{"id":"0G","ip":"10.0.0.2","tcp":1,"udp":1}}`,
	)
	if a[0]["ok"] != true || a[2]["ok"] != true || len(last.statics) != 1 {
		t.Fatalf("right width refused: %v %v", a[0], a[2])
	}
	if a[1]["ok"] != false || !strings.Contains(a[1]["error"].(string), "64 bytes, but this implementation declared id_bytes 32") {
		t.Fatalf("wrong width: %v", a[1])
	}
	if a[3]["ok"] != false || !strings.Contains(a[3]["error"].(string), "node.id") {
		t.Fatalf("bad hex: %v", a[3])
	}
}

func TestAPanicIsARefusalAndServingGoesOnUntilBye(t *testing.T) {
	a := serve(t, impl(0), initReq,
		`{"op":"remove_static","node":{"id":"dead","ip":null,"tcp":0,"udp":0}}`,
		`not json`,
		`{"op":"bye"}`,
		`{"op":"hello","protocol":1}`,
	)
	if len(a) != 4 {
		t.Fatalf("answers after bye: %v", a)
	}
	if a[1]["ok"] != false || !strings.Contains(a[1]["error"].(string), "panicked: boom") {
		t.Fatalf("panic: %v", a[1])
	}
	if a[2]["ok"] != false || a[3]["ok"] != true {
		t.Fatalf("bad line and bye: %v %v", a[2], a[3])
	}
}

func TestExecuteRecordsEveryEnvironmentCallInOrderWithTheDialState(t *testing.T) {
	a := serve(t, impl(0), initReq,
		`{"op":"new_tasks","now":0,"running":0,"peers":[],"table":[{"id":"02","ip":null,"tcp":0,"udp":0}]}`,
		`{"op":"execute","handle":1,"now":7,"discovery":true,"resolved":{"id":"02","ip":"10.0.0.2","tcp":5,"udp":5},"connects":[false,true],"lookup":[],"last_lookup":null}`,
		`{"op":"execute","handle":2,"now":7,"lookup":[{"id":"05","ip":"10.0.0.5","tcp":5,"udp":5}],"last_lookup":3}`,
	)
	got, _ := json.Marshal(a[2])
	want := `{"actions":[{"found":{"id":"02","ip":"10.0.0.2","tcp":5,"udp":5},"id":"02","type":"resolve"},` +
		`{"connected":false,"dest":{"id":"02","ip":null,"tcp":0,"udp":0},"type":"connect"},` +
		`{"connected":true,"dest":{"id":"02","ip":null,"tcp":0,"udp":0},"type":"connect"}],"ok":true,` +
		`"state":{"dest":{"id":"02","ip":"10.0.0.2","tcp":5,"udp":5},"last_resolved":7,"resolve_delay":60000000000}}`
	if string(got) != want {
		t.Fatalf("execute dial:\n got %s\nwant %s", got, want)
	}
	got, _ = json.Marshal(a[3])
	want = `{"actions":[{"duration":-1000000000,"type":"sleep"},{"results":[{"id":"05","ip":"10.0.0.5","tcp":5,"udp":5}],"type":"lookup"}],"ok":true,"state":null}`
	if string(got) != want {
		t.Fatalf("execute discover:\n got %s\nwant %s", got, want)
	}
}

func TestExecuteIsUnsupportedWithoutTheCapability(t *testing.T) {
	plain := impl(0)
	plain.Executes = false
	a := serve(t, plain, initReq,
		`{"op":"new_tasks","now":0,"running":0,"peers":[],"table":[]}`,
		`{"op":"execute","handle":1,"now":7}`)
	if a[2]["ok"] != false || a[2]["unsupported"] != true {
		t.Fatalf("execute without the capability: %v", a[2])
	}
}

func TestTimeZeroIsTheZeroTimeAndNanosInvertsTime(t *testing.T) {
	if !Time(0).IsZero() || Nanos(Time(1<<62)) != 1<<62 || Nanos(Time(-5)) != -5 {
		t.Fatal("Time and Nanos do not invert each other")
	}
}

func TestNetsParsesTheWhitelistAndNilMeansNoRestriction(t *testing.T) {
	nets, err := Config{Netrestrict: []string{"10.0.0.0/24"}}.Nets()
	if err != nil || len(nets) != 1 || !nets[0].Contains(net.ParseIP("10.0.0.7")) {
		t.Fatalf("nets: %v %v", nets, err)
	}
	if nets, err := (Config{}).Nets(); nets != nil || err != nil {
		t.Fatalf("no restriction: %v %v", nets, err)
	}
	if nets, err := (Config{Netrestrict: []string{}}).Nets(); nets == nil || len(nets) != 0 || err != nil {
		t.Fatalf("empty whitelist: %v %v", nets, err)
	}
	if _, err := (Config{Netrestrict: []string{"nonsense"}}).Nets(); err == nil {
		t.Fatal("a bad CIDR parsed")
	}
}

// again returns the same task object on every call, as geth does with its static dial tasks.
type again struct{ task *dialRef }

func (a *again) NewTasks(int, []Peer, time.Time, []Node) []Task {
	return []Task{Dial(Static, a.task.dest, a.task)}
}
func (a *again) TaskDone(any, time.Time, []Node) {}
func (a *again) AddStatic(Node)                  {}
func (a *again) RemoveStatic(Node)               {}

func TestARefReturnedAfterItsTaskDoneKeepsItsHandleAndAnOutstandingOneDoesNot(t *testing.T) {
	same := Implementation{Name: "again", Version: "1", Profiles: []string{"geth-1.7"},
		New: func(string, Config) (Dialstate, error) { return &again{&dialRef{Node{ID: []byte{2}}}}, nil }}
	ask := `{"op":"new_tasks","now":0,"running":0,"peers":[],"table":[]}`
	a := serve(t, same, initReq, ask, `{"op":"task_done","now":1,"handle":1}`, ask, ask)
	handle := func(i int) any { return a[i]["tasks"].([]any)[0].(map[string]any)["handle"] }
	if handle(1) != 1.0 || handle(3) != 1.0 || handle(4) != 2.0 {
		t.Fatalf("handles %v %v %v", handle(1), handle(3), handle(4))
	}
}

func TestBitsAreGethsConnFlagValuesBothWays(t *testing.T) {
	if Bits([]Flag{Dyn}) != 1 || Bits([]Flag{Static, Trusted}) != 10 || Bits(nil) != 0 || Bits([]Flag{Inbound}) != 4 {
		t.Fatal("Bits")
	}
	if got := FromBits(10); len(got) != 2 || got[0] != Static || got[1] != Trusted || len(FromBits(16)) != 0 {
		t.Fatalf("FromBits: %v", got)
	}
}

type wanting struct{ fake }

func (w *wanting) NewTasks(int, []Peer, time.Time, []Node) []Task {
	return []Task{DiscoverWant(2, "lookup"), Discover("plain")}
}

func (w *wanting) Execute(ref any, env *Env) (*DialState, error) {
	env.ReadNodes(2)
	return nil, nil
}

func TestADiscoverTaskMayAskForANumberAndReadNodesDropsDuplicates(t *testing.T) {
	impl := Implementation{Name: "w", Version: "1", Profiles: []string{"geth-1.7"}, Executes: true,
		New: func(string, Config) (Dialstate, error) { return &wanting{}, nil }}
	a := serve(t, impl, initReq, `{"op":"new_tasks","now":0,"running":0,"peers":[],"table":[]}`,
		`{"op":"execute","handle":1,"now":1,"lookup":[{"id":"03","ip":"10.0.0.3","tcp":1,"udp":1},{"id":"03","ip":"10.0.0.3","tcp":2,"udp":2},{"id":"04","ip":"10.0.0.4","tcp":1,"udp":1}]}`)
	tasks := a[1]["tasks"].([]any)
	if tasks[0].(map[string]any)["want"] != 2.0 {
		t.Fatalf("want: %v", tasks[0])
	}
	if _, ok := tasks[1].(map[string]any)["want"]; ok {
		t.Fatalf("a plain discover task carries want: %v", tasks[1])
	}
	got, _ := json.Marshal(a[2]["actions"])
	if string(got) != `[{"results":[{"id":"03","ip":"10.0.0.3","tcp":2,"udp":2}],"type":"lookup"}]` {
		t.Fatalf("read: %s", got)
	}
}
