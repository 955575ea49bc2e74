package main

// Task execution, the optional execute capability (spec section 10): what a task's Do does,
// against the environment the kit's Env answers for dialcheck.

import (
	"time"

	"dialcheck/gokit"
)

const (
	initialResolveDelay = 60 * time.Second
	maxResolveDelay     = time.Hour
	lookupInterval      = 4 * time.Second
)

// resolve asks discovery for the task's node unless throttled (EX-RESOLVE-1, RESOLVE_THROTTLE,
// RESOLVE_BACKOFF, EX-RESOLVE-4).
func (t *dialTask) resolve(e *gokit.Env) bool {
	if !e.Discovery {
		return false
	}
	if t.resolveDelay == 0 {
		t.resolveDelay = initialResolveDelay
	}
	if t.resolvedOnce && e.Now.Sub(toTime(t.lastResolved)) < t.resolveDelay {
		return false
	}
	t.resolvedOnce, t.lastResolved = true, gokit.Nanos(e.Now)
	found := e.Resolve(fromNode(t.dest).ID)
	if found == nil {
		t.resolveDelay *= 2
		if t.resolveDelay > maxResolveDelay {
			t.resolveDelay = maxResolveDelay
		}
		return false
	}
	t.resolveDelay, t.dest = initialResolveDelay, toNode(*found)
	return true
}

// execute runs a task's Do and returns, for a dial task, the state it leaves in the task.
func execute(t Task, e *gokit.Env, r rules) *gokit.DialState {
	switch t := t.(type) {
	case *dialTask:
		// INCOMPLETE_NEEDS_RESOLVE: resolve an incomplete destination first; no dial if that fails.
		if t.dest.IP != nil || t.resolve(e) {
			// STATIC_RETRY: a failed static dial resolves once more and dials again if found.
			if !e.Connect(fromNode(t.dest)) && t.flag == flagStatic && t.resolve(e) {
				e.Connect(fromNode(t.dest))
			}
		}
		state := &gokit.DialState{ResolveDelay: t.resolveDelay, Dest: fromNode(t.dest)}
		if t.resolvedOnce {
			last := toTime(t.lastResolved)
			state.LastResolved = &last
		}
		return state
	case *discoverTask:
		if !r.spacing {
			// EX-ITER-1: from v1.9.7 the lookup reads want nodes from the node iterator, at once.
			e.ReadNodes(t.want)
			return nil
		}
		// LOOKUP_SPACING: no lookup earlier than 4 s after the previous one started.
		if e.LastLookup != nil {
			if next := e.LastLookup.Add(lookupInterval); e.Now.Before(next) {
				e.Sleep(next.Sub(e.Now))
			}
		}
		e.Lookup()
	case *waitTask:
		// EX-WAIT-1: sleep for the duration; a negative one returns at once.
		d := time.Duration(t.duration)
		if d < 0 {
			d = 0
		}
		e.Sleep(d)
	}
	return nil
}
