// dialcheck glue for geth's dialstate, one axis: the node types of go-ethereum v1.8.17 -
// v1.9.10 (package enode, 32-byte ID). Written by the dialcheck project; goes beside
// dialcheck_dialstate_test.go (docs/geth.md).

package p2p

import (
	"dialcheck/gokit"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/p2p/enr"
)

const dcIDBytes = 32

type (
	dcNodeT = *enode.Node
	dcIDT   = enode.ID
)

func dcNode(n gokit.Node) *enode.Node {
	var id enode.ID
	copy(id[:], n.ID)
	var r enr.Record
	if n.IP != nil {
		r.Set(enr.IP(n.IP))
	}
	r.Set(enr.TCP(n.TCP))
	r.Set(enr.UDP(n.UDP))
	return enode.SignNull(&r, id)
}

func dcFromNode(n *enode.Node) gokit.Node {
	return gokit.Node{ID: n.ID().Bytes(), IP: n.IP(), TCP: n.TCP(), UDP: n.UDP()}
}

// dcPeer returns a connected peer as the server's peers map holds it.
func dcPeer(id []byte, flags connFlag) (enode.ID, *Peer) {
	node := dcNode(gokit.Node{ID: id})
	return node.ID(), &Peer{rw: &conn{flags: flags, node: node}}
}

// dcTable is the discovery table (v1.8.17 - v1.9.6; v1.9.7 on reads none): ReadRandomNodes
// copies what dialcheck sent for this call. Self is v1.8.17's.
type dcTable struct {
	self  *enode.Node
	nodes []*enode.Node
}

func (t *dcTable) Self() *enode.Node                     { return t.self }
func (t *dcTable) Close()                                {}
func (t *dcTable) Resolve(*enode.Node) *enode.Node       { return nil }
func (t *dcTable) LookupRandom() []*enode.Node           { return nil }
func (t *dcTable) ReadRandomNodes(buf []*enode.Node) int { return copy(buf, t.nodes) }
