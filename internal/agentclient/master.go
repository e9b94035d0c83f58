package agentclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Slave is one agent in a Mesos master's /slaves.
type Slave struct {
	ID            string          `json:"id"`
	Hostname      string          `json:"hostname"`
	Port          int             `json:"port"`
	PID           string          `json:"pid"` // slave(1)@10.0.0.1:5051
	Resources     json.RawMessage `json:"resources"`
	UsedResources json.RawMessage `json:"used_resources"`
	Attributes    json.RawMessage `json:"attributes"`
	Version       string          `json:"version"`
	Active        *bool           `json:"active"`
}

// Addr is where the agent's HTTP API is: the address of its libprocess
// PID, else hostname:port.
func (s Slave) Addr() string {
	if at := strings.LastIndex(s.PID, "@"); at >= 0 {
		return s.PID[at+1:]
	}
	return net.JoinHostPort(s.Hostname, strconv.Itoa(s.Port))
}

// Slaves reads a Mesos master's /slaves (c points at the master).
func (c *Client) Slaves(ctx context.Context) ([]Slave, error) {
	raw, err := c.GetJSON(ctx, "/slaves")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Slaves []Slave `json:"slaves"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s/slaves is not the expected JSON: %v", c.BaseURL, err)
	}
	return doc.Slaves, nil
}
