// Command dialstate serves the dialstate of dialstate.go over dialcheck-wire/1: one JSON request
// per line on stdin, one JSON answer per line on stdout (docs/wire-protocol.md). Logs go to stderr.
//
//	go build -o dialstate . && dialcheck run --cmd ./dialstate
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

type peer struct {
	ID    string `json:"id"`
	Flags []Flag `json:"flags"`
}

type request struct {
	Op         string  `json:"op"`
	Discovery  *bool   `json:"discovery"`
	Resolved   *Node   `json:"resolved"`
	Connects   []bool  `json:"connects"`
	Lookup     []Node  `json:"lookup"`
	LastLookup *int64  `json:"last_lookup"`
	Protocol   int     `json:"protocol"`
	Profile    string  `json:"profile"`
	Config     *Config `json:"config"`
	Now        int64   `json:"now"`
	Running    int     `json:"running"`
	Peers      []peer  `json:"peers"`
	Table      []Node  `json:"table"`
	Handle     int64   `json:"handle"`
	Results    []Node  `json:"results"`
	Node       *Node   `json:"node"`
}

type answer = map[string]any

// server holds the current dialstate and the handles of its outstanding tasks.
type server struct {
	state       *dialstate
	nextHandle  int64
	outstanding map[int64]Task
}

func refuse(format string, args ...any) answer {
	return answer{"ok": false, "error": fmt.Sprintf(format, args...)}
}

func (s *server) handle(req request) answer {
	switch req.Op {
	case "hello":
		if req.Protocol != 1 {
			return answer{"ok": false, "error": "only protocol 1", "unsupported": true}
		}
		return answer{"ok": true, "name": "dialstate-go-example", "version": "0.1.0", "protocol": 1,
			"profiles": []string{"geth-1.7", "geth-1.8"}, "extensions": []string{"execute"}}
	case "init":
		if req.Profile != "geth-1.7" && req.Profile != "geth-1.8" {
			return answer{"ok": false, "error": "unknown profile " + req.Profile, "unsupported": true}
		}
		if req.Config == nil {
			return refuse("init without config")
		}
		state, err := newDialstate(*req.Config, req.Profile == "geth-1.8")
		if err != nil {
			return refuse("bad config: %v", err)
		}
		s.state, s.nextHandle, s.outstanding = state, 1, map[int64]Task{}
		return answer{"ok": true}
	case "bye":
		return answer{"ok": true}
	}
	if s.state == nil {
		return refuse("send init first")
	}
	switch req.Op {
	case "new_tasks":
		peers := map[string][]Flag{}
		for _, p := range req.Peers {
			peers[p.ID] = p.Flags
		}
		table := req.Table
		if table == nil {
			table = []Node{}
		}
		tasks := []map[string]any{}
		for _, t := range s.state.newTasks(req.Running, peers, req.Now, table) {
			tasks = append(tasks, s.encode(t))
		}
		return answer{"ok": true, "tasks": tasks}
	case "execute":
		t, found := s.outstanding[req.Handle]
		if !found {
			return refuse("unknown handle %d", req.Handle)
		}
		e := &env{now: req.Now, discovery: req.Discovery == nil || *req.Discovery, resolved: req.Resolved,
			connects: req.Connects, lookup: req.Lookup, lastLookup: req.LastLookup}
		actions, state := execute(t, e)
		return answer{"ok": true, "actions": actions, "state": state}
	case "task_done":
		t, found := s.outstanding[req.Handle]
		if !found {
			return refuse("unknown handle %d", req.Handle)
		}
		delete(s.outstanding, req.Handle)
		s.state.taskDone(t, req.Now, req.Results)
		return answer{"ok": true}
	case "add_static", "remove_static":
		if req.Node == nil {
			return refuse("%s without node", req.Op)
		}
		if req.Op == "add_static" {
			s.state.addStatic(*req.Node)
		} else {
			s.state.removeStatic(*req.Node)
		}
		return answer{"ok": true}
	}
	return answer{"ok": false, "error": "unknown op " + req.Op, "unsupported": true}
}

// encode gives a task its handle (a static task keeps the one it had) and its wire form.
func (s *server) encode(t Task) map[string]any {
	var h *int64
	out := map[string]any{}
	switch t := t.(type) {
	case *dialTask:
		h = &t.h
		out["type"], out["flags"], out["dest"] = "dial", []Flag{t.flag}, t.dest
	case *discoverTask:
		h = &t.h
		out["type"] = "discover"
	case *waitTask:
		h = &t.h
		out["type"], out["duration"] = "wait", t.duration
	}
	if *h <= 0 {
		*h = s.nextHandle
		s.nextHandle++
	}
	s.outstanding[*h] = t
	out["handle"] = *h
	return out
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<16)
	out := bufio.NewWriter(os.Stdout)
	s := &server{}
	for {
		line, err := in.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			if err != io.EOF {
				fmt.Fprintln(os.Stderr, "read:", err)
			}
			return
		}
		var req request
		var ans answer
		if err := json.Unmarshal(line, &req); err != nil {
			ans = refuse("bad request: %v", err)
		} else {
			ans = s.handle(req)
		}
		data, _ := json.Marshal(ans)
		out.Write(append(data, '\n'))
		out.Flush()
		if req.Op == "bye" {
			return
		}
	}
}
