// dialcheck glue for geth's dialstate, one axis: the node types of go-ethereum v1.6.0 - v1.8.16
// (package discover, 64-byte NodeID). Written by the dialcheck project; goes beside
// dialcheck_dialstate_test.go (docs/geth.md).

package p2p

import (
	"dialcheck/gokit"

	"github.com/ethereum/go-ethereum/p2p/discover"
)

const dcIDBytes = 64

type (
	dcNodeT = *discover.Node
	dcIDT   = discover.NodeID
)

func dcNode(n gokit.Node) *discover.Node {
	var id discover.NodeID
	copy(id[:], n.ID)
	return discover.NewNode(id, n.IP, uint16(n.UDP), uint16(n.TCP))
}

func dcFromNode(n *discover.Node) gokit.Node {
	return gokit.Node{ID: append([]byte{}, n.ID[:]...), IP: n.IP, TCP: int(n.TCP), UDP: int(n.UDP)}
}

// dcPeer returns a connected peer as the server's peers map holds it.
func dcPeer(id []byte, flags connFlag) (discover.NodeID, *Peer) {
	key := dcNode(gokit.Node{ID: id}).ID
	return key, &Peer{rw: &conn{flags: flags, id: key}}
}

// dcTable is the discovery table: ReadRandomNodes copies what dialcheck sent for this call.
type dcTable struct {
	self  *discover.Node
	nodes []*discover.Node
}

func (t *dcTable) Self() *discover.Node                     { return t.self }
func (t *dcTable) Close()                                   {}
func (t *dcTable) Resolve(discover.NodeID) *discover.Node   { return nil }
func (t *dcTable) Lookup(discover.NodeID) []*discover.Node  { return nil }
func (t *dcTable) ReadRandomNodes(buf []*discover.Node) int { return copy(buf, t.nodes) }
