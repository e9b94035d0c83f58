package testcluster

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mesosctl/mesosctl/internal/zkserver"
)

// Status is what `mesosctl-testcluster status` shows.
type Status struct {
	Dir       string       `json:"dir"`
	ZooKeeper bool         `json:"zookeeper"`
	Nodes     []NodeStatus `json:"nodes"`
}

// NodeStatus says whether a node's sshd and agent answer.
type NodeStatus struct {
	Node
	SSHD  bool `json:"sshd"`
	Agent bool `json:"agent"`
}

// Status probes every node's sshd port and agent /state, and ZooKeeper.
func (c *Cluster) Status() Status {
	st := Status{Dir: c.Dir, Nodes: make([]NodeStatus, len(c.Nodes))}
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns := NodeStatus{Node: n}
			if conn, err := net.DialTimeout("tcp", net.JoinHostPort(n.IP, fmt.Sprint(c.SSHPort)), time.Second); err == nil {
				conn.Close()
				ns.SSHD = true
			}
			client := &http.Client{Timeout: 2 * time.Second}
			if resp, err := client.Get(fmt.Sprintf("http://%s:%d/state", n.IP, c.AgentPort)); err == nil {
				resp.Body.Close()
				ns.Agent = resp.StatusCode == http.StatusOK
			}
			st.Nodes[i] = ns
		}()
	}
	st.ZooKeeper = zkserver.Ruok(fmt.Sprintf("127.0.0.1:%d", c.ZKPort))
	wg.Wait()
	return st
}
