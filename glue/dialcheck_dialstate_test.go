// dialcheck glue for geth's own dialstate (go-ethereum v1.6.0 - v1.9.10, and forks of it).
// Written by the dialcheck project, not part of go-ethereum: `dialcheck adapter` puts it, with
// dialcheck_common_test.go and one file of each axis below, beside the package p2p of a checkout
// (leaving the tree as it was) and builds the package's test binary; docs/geth.md says how to
// drop it in by hand.
//
// It serves dialcheck-wire/1 through dialcheck's Go kit (dialcheck/gokit) and calls geth's real
// newDialState, newTasks, taskDone, addStatic and removeStatic, exactly as the server loop
// does, with dialcheck's times; the discovery table's ReadRandomNodes copies what dialcheck
// sent. The tasks' Do methods need a live *Server and are not run (scheduling only: dialcheck
// says "execution checks NOT run").
//
// The axes (one file each, chosen from the tree, docs/geth.md): the node types (64-byte
// discover.NodeID before v1.8.17, enode from v1.8.17) and newDialState's constructor (v1.6.0 -
// v1.8.17 with a table, v1.8.18 - v1.8.27 with our ID first, v1.9.0 - v1.9.6 with a *Config,
// v1.9.7 - v1.9.10 with no table and lookups that want a number of nodes).
//
// The file must build with a go.mod saying go 1.13 (and in GOPATH mode): no generics, no `any`.

package p2p

import (
	"os"
	"testing"
	"time"

	"dialcheck/gokit"
)

// dcGlue is the kit's view of geth's dialstate.
type dcGlue struct {
	s   *dialstate
	tab *dcTable
}

func dcNodes(ns []gokit.Node) []dcNodeT {
	out := []dcNodeT{}
	for _, n := range ns {
		out = append(out, dcNode(n))
	}
	return out
}

func (g *dcGlue) NewTasks(running int, peers []gokit.Peer, now time.Time, table []gokit.Node) []gokit.Task {
	g.tab.nodes = dcNodes(table)
	byID := map[dcIDT]*Peer{}
	for _, p := range peers {
		id, peer := dcPeer(p.ID, connFlag(gokit.Bits(p.Flags)))
		byID[id] = peer
	}
	out := []gokit.Task{}
	for _, t := range g.s.newTasks(running, byID, now) {
		switch t := t.(type) {
		case *dialTask:
			out = append(out, gokit.Task{Kind: gokit.DialKind, Flags: gokit.FromBits(int(t.flags)), Dest: dcFromNode(t.dest), Ref: t})
		case *discoverTask:
			if want := dcWant(t); want != nil {
				out = append(out, gokit.DiscoverWant(*want, t))
			} else {
				out = append(out, gokit.Discover(t))
			}
		case *waitExpireTask:
			out = append(out, gokit.Wait(t.Duration, t))
		default:
			panic("dialcheck: newTasks returned a task of an unknown type")
		}
	}
	return out
}

func (g *dcGlue) TaskDone(ref interface{}, now time.Time, results []gokit.Node) {
	if d, ok := ref.(*discoverTask); ok {
		d.results = dcNodes(results) // what the lookup found, as its Do would have stored it
	}
	g.s.taskDone(ref.(task), now)
}

func (g *dcGlue) AddStatic(n gokit.Node)    { g.s.addStatic(dcNode(n)) }
func (g *dcGlue) RemoveStatic(n gokit.Node) { g.s.removeStatic(dcNode(n)) }

// TestDialcheck serves geth's dialstate to dialcheck on stdin and stdout (run it with
// DIALCHECK=1 under `dialcheck run --cmd`); it never returns.
func TestDialcheck(t *testing.T) {
	if os.Getenv("DIALCHECK") == "" {
		t.Skip("serves dialcheck-wire/1 on stdin/stdout: run it under dialcheck --cmd with DIALCHECK=1")
	}
	gokit.Main(gokit.Implementation{
		Name:     dialcheckName,
		Version:  dialcheckVersion,
		IDBytes:  dcIDBytes,
		Profiles: dcServed(dcDialstateProfiles),
		New: func(profile string, cfg gokit.Config) (gokit.Dialstate, error) {
			restrict, err := dcNetlist(cfg.Netrestrict)
			if err != nil {
				return nil, err
			}
			tab := &dcTable{self: dcNode(gokit.Node{ID: cfg.Self})}
			s := dcNewDialState(dcNode(gokit.Node{ID: cfg.Self}), dcNodes(cfg.Static), dcNodes(cfg.Bootnodes), tab, cfg.MaxDynDials, restrict)
			return &dcGlue{s, tab}, nil
		},
	})
}
