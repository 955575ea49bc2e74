// dialcheck glue for geth's own dialers: what the glue of both generations shares (the hello,
// netrestrict). Written by the dialcheck project, not part of go-ethereum; goes beside
// dialcheck_scheduler_test.go or dialcheck_dialstate_test.go in geth's package p2p (docs/geth.md).
//
// The file must build with a go.mod saying go 1.13 (and in GOPATH mode): no generics, no `any`.

package p2p

import (
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/p2p/netutil"
)

// What the hello says; `dialcheck adapter` sets them (-ldflags -X) from the tree it builds.
var (
	dialcheckName     = "go-ethereum"
	dialcheckVersion  = "unknown"
	dialcheckProfiles = "" // comma-separated; empty: every profile of the tree's generation
)

// The profiles of dialcheck's two model families.
var (
	dcDialstateProfiles = []string{"geth-1.7", "geth-1.8", "geth-1.9", "geth-1.9.7"}
	dcSchedulerProfiles = []string{"geth-1.9.11", "geth-1.9.14", "geth-1.15", "geth-1.17.2", "geth-1.17.8"}
)

// dcServed returns the profiles to list in hello: DIALCHECK_PROFILES (comma-separated, or
// "all"), else those the build was made for, else all of the family's.
func dcServed(family []string) []string {
	text := os.Getenv("DIALCHECK_PROFILES")
	if text == "" {
		text = dialcheckProfiles
	}
	if text == "" || text == "all" {
		return family
	}
	return strings.Split(text, ",")
}

// dcNetlist returns geth's netrestrict list: nil for none; an empty list admits no IP.
func dcNetlist(cidrs []string) (*netutil.Netlist, error) {
	if cidrs == nil {
		return nil, nil
	}
	return netutil.ParseNetlist(strings.Join(cidrs, ","))
}
