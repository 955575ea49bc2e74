package main

// Task execution, the optional "execute" extension of dialcheck-wire/1 (spec section 10): what a
// task's Do does, against the environment's answers the suite sends.

import "time"

const (
	initialResolveDelay = 60 * time.Second
	maxResolveDelay     = time.Hour
	lookupInterval      = 4 * time.Second
)

// env is what the environment answers during one execution.
type env struct {
	now        int64
	discovery  bool
	resolved   *Node
	connects   []bool
	lookup     []Node
	lastLookup *int64
	attempts   int
}

// action is one thing a task did, in its wire form.
type action = map[string]any

func (e *env) connect(dest Node, actions *[]action) bool {
	ok := e.attempts < len(e.connects) && e.connects[e.attempts]
	e.attempts++
	*actions = append(*actions, action{"type": "connect", "dest": dest, "connected": ok})
	return ok
}

// resolve asks discovery for the task's node unless throttled (EX-RESOLVE-1, RESOLVE_THROTTLE,
// RESOLVE_BACKOFF, EX-RESOLVE-4).
func (t *dialTask) resolve(e *env, actions *[]action) bool {
	if !e.discovery {
		return false
	}
	if t.resolveDelay == 0 {
		t.resolveDelay = initialResolveDelay
	}
	if t.resolvedOnce && toTime(e.now).Sub(toTime(t.lastResolved)) < t.resolveDelay {
		return false
	}
	t.resolvedOnce, t.lastResolved = true, e.now
	var found any
	if e.resolved != nil {
		found = *e.resolved
	}
	*actions = append(*actions, action{"type": "resolve", "id": t.dest.ID, "found": found})
	if e.resolved == nil {
		t.resolveDelay *= 2
		if t.resolveDelay > maxResolveDelay {
			t.resolveDelay = maxResolveDelay
		}
		return false
	}
	t.resolveDelay, t.dest = initialResolveDelay, *e.resolved
	return true
}

// execute runs a task's Do and returns its actions and, for a dial task, its state.
func execute(t Task, e *env) ([]action, any) {
	actions := []action{}
	switch t := t.(type) {
	case *dialTask:
		// INCOMPLETE_NEEDS_RESOLVE: resolve an incomplete destination first; no dial if that fails.
		if t.dest.IP != nil || t.resolve(e, &actions) {
			// STATIC_RETRY: a failed static dial resolves once more and dials again if found.
			if !e.connect(t.dest, &actions) && t.flag == flagStatic && t.resolve(e, &actions) {
				e.connect(t.dest, &actions)
			}
		}
		var last any
		if t.resolvedOnce {
			last = t.lastResolved
		}
		return actions, map[string]any{"resolve_delay": int64(t.resolveDelay), "last_resolved": last, "dest": t.dest}
	case *discoverTask:
		// LOOKUP_SPACING: no lookup earlier than 4 s after the previous one started.
		if e.lastLookup != nil {
			if next := toTime(*e.lastLookup).Add(lookupInterval); toTime(e.now).Before(next) {
				actions = append(actions, action{"type": "sleep", "duration": int64(next.Sub(toTime(e.now)))})
			}
		}
		results := e.lookup
		if results == nil {
			results = []Node{}
		}
		return append(actions, action{"type": "lookup", "results": results}), nil
	case *waitTask:
		// EX-WAIT-1: sleep for the duration; a negative one returns at once.
		d := t.duration
		if d < 0 {
			d = 0
		}
		return append(actions, action{"type": "sleep", "duration": d}), nil
	}
	return actions, nil
}
