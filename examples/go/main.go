// Command dialstate serves the dialstate of dialstate.go and the dialScheduler of scheduler.go
// over dialcheck-wire/1 with dialcheck's Go kit (gokit/): this file is all the glue, converting
// between the kit's values and the dialstate's own. Logs go to stderr.
//
//	go build -o dialstate . && dialcheck run --cmd ./dialstate
//	./dialstate -id-bytes 32 -no-execute   # 32-byte IDs, scheduling only
//	./dialstate -bug fallback-at-20s        # one seeded bug (bugs.go), for dialcheck's benchmark
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"dialcheck/gokit"
)

// glue is the kit's view of one dialstate.
type glue struct{ s *dialstate }

func toNode(n gokit.Node) Node {
	out := Node{ID: gokit.HexID(n.ID), TCP: n.TCP, UDP: n.UDP}
	if n.IP != nil {
		ip := n.IP.String()
		out.IP = &ip
	}
	return out
}

func fromNode(n Node) gokit.Node {
	id, _ := gokit.ParseID(n.ID)
	out := gokit.Node{ID: id, TCP: n.TCP, UDP: n.UDP}
	if n.IP != nil {
		out.IP = net.ParseIP(*n.IP)
	}
	return out
}

func (g glue) NewTasks(running int, peers []gokit.Peer, now time.Time, table []gokit.Node) []gokit.Task {
	byID := map[string][]Flag{}
	for _, p := range peers {
		flags := []Flag{}
		for _, f := range p.Flags {
			flags = append(flags, Flag(f))
		}
		byID[gokit.HexID(p.ID)] = flags
	}
	nodes := []Node{}
	for _, n := range table {
		nodes = append(nodes, toNode(n))
	}
	out := []gokit.Task{}
	for _, t := range g.s.newTasks(running, byID, gokit.Nanos(now), nodes) {
		switch t := t.(type) {
		case *dialTask:
			out = append(out, gokit.Dial(gokit.Flag(t.flag), fromNode(t.dest), t))
		case *discoverTask:
			if g.s.rules.wants {
				out = append(out, gokit.DiscoverWant(t.want, t))
			} else {
				out = append(out, gokit.Discover(t))
			}
		case *waitTask:
			out = append(out, gokit.Wait(time.Duration(t.duration), t))
		}
	}
	return out
}

func (g glue) TaskDone(ref any, now time.Time, results []gokit.Node) {
	nodes := []Node{}
	for _, n := range results {
		nodes = append(nodes, toNode(n))
	}
	g.s.taskDone(ref.(Task), gokit.Nanos(now), nodes)
}

func (g glue) AddStatic(n gokit.Node)    { g.s.addStatic(toNode(n)) }
func (g glue) RemoveStatic(n gokit.Node) { g.s.removeStatic(toNode(n)) }

func (g glue) Execute(ref any, env *gokit.Env) (*gokit.DialState, error) {
	return execute(ref.(Task), env, g.s.rules), nil
}

func main() {
	idBytes := flag.Int("id-bytes", 0, "declare this node ID width in hello: 32 or 64 (0: take IDs as sent)")
	noExecute := flag.Bool("no-execute", false, "serve scheduling only: no execute capability")
	seeded := flag.String("bug", "", "switch on one seeded bug (bugs.go), for dialcheck's own benchmark")
	flag.Parse()
	if err := setBug(*seeded); err != nil {
		fmt.Fprintln(os.Stderr, "dialstate:", err)
		os.Exit(2)
	}
	gokit.Main(gokit.Implementation{
		Name: "dialstate-go-example", Version: "0.3.0", Profiles: []string{"geth-1.7", "geth-1.8", "geth-1.9", "geth-1.9.7"},
		IDBytes: *idBytes, Executes: !*noExecute,
		New: func(profile string, cfg gokit.Config) (gokit.Dialstate, error) {
			c := Config{Self: gokit.HexID(cfg.Self), MaxDynDials: cfg.MaxDynDials}
			for _, n := range cfg.Static {
				c.Static = append(c.Static, toNode(n))
			}
			for _, n := range cfg.Bootnodes {
				c.Bootnodes = append(c.Bootnodes, toNode(n))
			}
			if cfg.Netrestrict != nil {
				c.Netrestrict = &cfg.Netrestrict
			}
			s, err := newDialstate(c, profiles[profile])
			return glue{s}, err
		},
		SchedulerProfiles: []string{"geth-1.9.11", "geth-1.9.14", "geth-1.15", "geth-1.17.2", "geth-1.17.8"},
		NewScheduler: func(profile string, cfg gokit.SchedulerConfig) (gokit.Scheduler, error) {
			return newScheduler(profile, cfg)
		},
	})
}
