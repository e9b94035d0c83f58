package placement

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/zk"
)

// Sources say where candidate agents come from, in this order: the node
// names given (--agent NODESET, resolved through the inventory), else the
// ZooKeeper registry at ZK, else a Mesos master's /slaves, else every node
// of the inventory.
type Sources struct {
	Nodes     []string
	Inventory func() (*inventory.Inventory, error)
	ZK        string
	Master    string // host:port
	Timeout   time.Duration
}

// Candidates lists the candidate agents.
func Candidates(ctx context.Context, s Sources) ([]Candidate, error) {
	if len(s.Nodes) > 0 {
		return fromInventory(s.Inventory, s.Nodes)
	}
	if s.ZK != "" {
		return fromZooKeeper(ctx, s.ZK, s.Timeout)
	}
	if s.Master != "" {
		return fromMaster(ctx, s.Master, s.Timeout)
	}
	if s.Inventory == nil {
		return nil, errNoSource
	}
	inv, err := s.Inventory()
	if err != nil {
		return nil, err
	}
	if len(inv.Names()) == 0 {
		return nil, errNoSource
	}
	return fromInventory(s.Inventory, inv.Names())
}

var errNoSource = errors.New("no candidate agents: give --agent NODESET or --zk zk://host:2181/mesos, or set defaults.zookeeper or nodes in the mesosctl config")

func fromInventory(invf func() (*inventory.Inventory, error), names []string) ([]Candidate, error) {
	inv, err := invf()
	if err != nil {
		return nil, err
	}
	out := make([]Candidate, 0, len(names))
	for _, n := range names {
		node, err := inv.Node(n)
		if err != nil {
			return nil, err
		}
		out = append(out, Candidate{Name: n, Addr: node.AgentURL()})
	}
	return out, nil
}

func fromZooKeeper(ctx context.Context, url string, timeout time.Duration) ([]Candidate, error) {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	u, err := zk.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("--zk: %v", err)
	}
	conn, _, err := zk.Connect(u, timeout, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to ZooKeeper %s: %v", strings.Join(u.Servers, ","), err)
	}
	defer closeLater(conn)
	type result struct {
		e   []zk.AgentEntry
		err error
	}
	ch := make(chan result, 1)
	go func() {
		e, err := zk.ListAgents(conn, u.Path)
		ch <- result{e, err}
	}()
	var entries []zk.AgentEntry
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("ZooKeeper %s: %v", url, r.err)
		}
		entries = r.e
	case <-time.After(timeout):
		return nil, fmt.Errorf("ZooKeeper %s: no answer within %s (is it up?)", url, timeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("no live agents registered in ZooKeeper %s", url)
	}
	out := make([]Candidate, 0, len(entries))
	for _, e := range entries {
		host := e.Address.IP
		if host == "" {
			host = e.Hostname
		}
		port := e.Port
		if e.Address.Port != 0 {
			port = e.Address.Port
		}
		name := e.Hostname
		if name == "" {
			name = e.ID
		}
		out = append(out, Candidate{Name: name, Addr: "http://" + net.JoinHostPort(host, strconv.Itoa(port))})
	}
	sortByName(out)
	return out, nil
}

// fromMaster lists the agents a Mesos master knows (/slaves).
func fromMaster(ctx context.Context, master string, timeout time.Duration) ([]Candidate, error) {
	c := agentclient.New(master)
	c.Timeout = timeout
	slaves, err := c.Slaves(ctx)
	if err != nil {
		return nil, fmt.Errorf("master %s: %v", master, err)
	}
	var out []Candidate
	for _, s := range slaves {
		if s.Active != nil && !*s.Active {
			continue
		}
		out = append(out, Candidate{Name: s.Hostname, Addr: "http://" + s.Addr()})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("master %s knows no active agents", master)
	}
	sortByName(out)
	return out, nil
}

// closing counts the ZooKeeper sessions being closed in the background.
var closing sync.WaitGroup

// closeLater closes a ZooKeeper session in the background: closing is a
// round trip (a transaction on the server, ≈ 2 ms of an exec's critical
// path) that nothing needs to wait for but the process's exit. WaitClosed
// waits for it.
func closeLater(conn *gozk.Conn) {
	closing.Add(1)
	go func() {
		defer closing.Done()
		conn.Close() // bounded: go-zookeeper gives the server one second
	}()
}

// WaitClosed waits until the ZooKeeper sessions Candidates opened are
// closed, so that a process that exits afterwards leaves none open on the
// server until its timeout. Commands that call Candidates defer it.
func WaitClosed() { closing.Wait() }

func sortByName(c []Candidate) {
	sort.SliceStable(c, func(i, j int) bool { return c[i].Name < c[j].Name })
}
