package main

// Seeded bugs for dialcheck's own benchmark (issue 13): each is one plausible mistake, switched
// on with -bug NAME and spelled as a one-line change at the line it breaks, so that dialcheck's
// time to verdict can be measured over the wire on compiled code.

import (
	"fmt"
	"sort"
)

// bugs names every seeded bug and what it gets wrong.
var bugs = map[string]string{
	"fallback-at-20s":                 "falls back to a bootnode at exactly 20 s since start (DS-FALLBACK-1 says more than 20 s)",
	"bootnodes-not-rotated":           "keeps dialing the first bootnode instead of rotating the list (DS-FALLBACK-2)",
	"history-expires-at-30s":          "lets a history entry expire at its expiry instant instead of after it (DS-HIST-3)",
	"static-peers-count":              "counts static peers against the dynamic budget (DS-NEED-1)",
	"random-takes-whole-need":         "takes all of the needed dynamic dials from the table instead of half (DS-RANDOM-1)",
	"lookup-buffer-kept":              "keeps tried lookup results in the buffer (DS-LOOKUP-1)",
	"second-lookup":                   "starts a lookup while one is running (DS-LOOKUP-2)",
	"wait-while-running":              "returns a wait task while tasks are running (DS-WAIT-1)",
	"self-dialed":                     "does not check a candidate against our own ID (DS-CHECK-1)",
	"remove-static-keeps-history-1.8": "keeps the history entry of a removed static under geth-1.8 (DS-STATIC-5)",
	"short-history":                   "remembers a finished dial for 29 s instead of 30 (DS-HIST-1)",
	"lookup-mark-kept":                "never clears the lookup-running mark, so no second lookup ever starts (DS-LOOKUP-3)",
	"need-ignores-dialing":            "does not count dynamic dials in flight against the budget (DS-NEED-1)",
}

// bug is the seeded bug switched on, or "".
var bug string

// has reports whether the seeded bug name is on.
func has(name string) bool { return bug == name }

// setBug switches on the seeded bug name ("" for none).
func setBug(name string) error {
	if _, known := bugs[name]; name != "" && !known {
		names := make([]string, 0, len(bugs))
		for n := range bugs {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("unknown bug %q; the seeded bugs are %v", name, names)
	}
	bug = name
	return nil
}
