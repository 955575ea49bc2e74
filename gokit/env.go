package gokit

import "time"

// Env is the environment of one task execution (the execute extension): the time, the
// server's discovery table, its dialer and its clock, answering as dialcheck said they would.
// Every call is recorded as an action, in order, and judged by dialcheck.
type Env struct {
	// Now is when the execution starts.
	Now time.Time
	// Discovery says whether the server has a discovery table (geth: srv.ntab != nil).
	Discovery bool
	// LastLookup is when the previous lookup started, or nil if there was none.
	LastLookup *time.Time

	resolved *Node
	connects []bool
	lookup   []Node
	attempts int
	actions  []map[string]any
}

// Resolve asks discovery for the node with id (geth: ntab.Resolve) and records the answer.
func (e *Env) Resolve(id []byte) *Node {
	var found any
	var out *Node
	if e.resolved != nil {
		n := *e.resolved
		out, found = &n, nodeJSON(n)
	}
	e.actions = append(e.actions, map[string]any{"type": "resolve", "id": HexID(id), "found": found})
	return out
}

// Connect attempts a connection to dest (geth: srv.Dialer.Dial and the handshake) and
// reports whether it succeeded: the outcomes dialcheck sent, in order; later attempts fail.
func (e *Env) Connect(dest Node) bool {
	ok := e.attempts < len(e.connects) && e.connects[e.attempts]
	e.attempts++
	e.actions = append(e.actions, map[string]any{"type": "connect", "dest": nodeJSON(dest), "connected": ok})
	return ok
}

// Sleep records a sleep of d (geth: time.Sleep, or a timer the task waits on).
func (e *Env) Sleep(d time.Duration) {
	e.actions = append(e.actions, map[string]any{"type": "sleep", "duration": int64(d)})
}

// ReadNodes reads at most n nodes from the node iterator and returns them without duplicates, a
// later node of an ID replacing the earlier one (geth v1.9.7 on: enode.ReadNodes(srv.discmix, n)).
// The iterator yields the nodes dialcheck sent as the lookup, in order.
func (e *Env) ReadNodes(n int) []Node {
	seen := map[string]int{}
	results := []Node{}
	for i := 0; i < n && i < len(e.lookup); i++ {
		node := e.lookup[i]
		if at, ok := seen[HexID(node.ID)]; ok {
			results[at] = node
			continue
		}
		seen[HexID(node.ID)] = len(results)
		results = append(results, node)
	}
	return e.recordLookup(results)
}

// Lookup runs a discovery lookup (geth: ntab.Lookup) and returns its results.
func (e *Env) Lookup() []Node {
	return e.recordLookup(append([]Node(nil), e.lookup...))
}

// recordLookup records a lookup action that returned results, and returns them.
func (e *Env) recordLookup(results []Node) []Node {
	encoded := []any{}
	for _, n := range results {
		encoded = append(encoded, nodeJSON(n))
	}
	e.actions = append(e.actions, map[string]any{"type": "lookup", "results": encoded})
	return results
}
