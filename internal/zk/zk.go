// Package zk holds mesosctl's ZooKeeper helpers: parsing zk:// URLs, the
// agentd agent registry (ephemeral znodes <path>/agents/<agent_id>), and
// Mesos master detection (the smallest-sequence json.info_* child).
// Connections log through log/slog, never the library's default logger.
package zk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/zkdial"
)

// URL is a parsed zk://[user:pass@]host:port,…/path.
type URL struct {
	Servers []string
	Path    string
	User    string // digest credentials, if any
	Pass    string
}

// ParseURL parses a Mesos ZooKeeper URL.
func ParseURL(u string) (URL, error) {
	var out URL
	rest, ok := strings.CutPrefix(u, "zk://")
	if !ok {
		return out, fmt.Errorf("'%s' is not a zk:// URL (expected zk://host:port[,host:port…]/path)", u)
	}
	hostsAndPath := rest
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		cred := rest[:at]
		hostsAndPath = rest[at+1:]
		out.User, out.Pass, _ = strings.Cut(cred, ":")
	}
	hosts, p, ok := strings.Cut(hostsAndPath, "/")
	if !ok || hosts == "" {
		return out, fmt.Errorf("'%s' is not of the form zk://host:port[,host:port…]/path", u)
	}
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			return out, fmt.Errorf("empty host in '%s'", u)
		}
		if !strings.Contains(h, ":") {
			h += ":2181"
		}
		out.Servers = append(out.Servers, h)
	}
	out.Path = "/" + strings.Trim(p, "/")
	if out.Path == "/" {
		return out, fmt.Errorf("'%s' has no znode path (e.g. zk://host:2181/mesos)", u)
	}
	return out, nil
}

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Printf(format string, args ...any) {
	s.l.Debug("zookeeper: " + fmt.Sprintf(format, args...))
}

// Connect opens a session. log may be nil. The session handshake is bounded
// by timeout (see internal/zkdial), so a server that accepts a connection
// and never answers costs one timeout, not go-zookeeper's 6.7.
func Connect(u URL, timeout time.Duration, log *slog.Logger) (*gozk.Conn, <-chan gozk.Event, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	conn, ev, err := gozk.Connect(u.Servers, timeout, gozk.WithLogger(slogLogger{log}), gozk.WithLogInfo(false),
		gozk.WithDialer(zkdial.Dialer(timeout)))
	if err != nil {
		return nil, nil, err
	}
	if u.User != "" {
		if err := conn.AddAuth("digest", []byte(u.User+":"+u.Pass)); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return conn, ev, nil
}

// AgentEntry is the JSON stored in <path>/agents/<agent_id>.
type AgentEntry struct {
	ID         string          `json:"id"`
	Hostname   string          `json:"hostname"`
	Port       int             `json:"port"`
	PID        string          `json:"pid"`
	Resources  json.RawMessage `json:"resources"`
	Attributes json.RawMessage `json:"attributes"`
	Version    string          `json:"version"`
	Address    Address         `json:"address"`
}

// Address is the agent's advertised address.
type Address struct {
	Hostname string `json:"hostname"`
	IP       string `json:"ip"`
	Port     int    `json:"port"`
}

// Registration keeps an agent's ephemeral znode alive, re-creating it
// after session expiry or a ZooKeeper restart.
type Registration struct {
	conn   *gozk.Conn
	znode  string
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	ok     atomic.Bool
	data   atomic.Pointer[[]byte] // the entry's JSON (Update replaces it)
}

// Registered reports whether the znode is currently known to exist.
func (r *Registration) Registered() bool { return r != nil && r.ok.Load() }

// AgentsPath is the parent of the agents' znodes under a Mesos path.
func AgentsPath(base string) string { return path.Join(base, "agents") }

// Register connects to zkURL and keeps <path>/agents/<id> (EPHEMERAL,
// parents created) holding entry, until Close or ctx is done.
func Register(ctx context.Context, zkURL string, timeout time.Duration, id string, entry AgentEntry, log *slog.Logger) (*Registration, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, err := ParseURL(zkURL)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(entry)
	if err != nil {
		return nil, err
	}
	conn, events, err := Connect(u, timeout, log)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &Registration{conn: conn, znode: path.Join(AgentsPath(u.Path), id), cancel: cancel, done: make(chan struct{})}
	r.data.Store(&data)
	go func() {
		defer close(r.done)
		retry := time.NewTicker(time.Second)
		defer retry.Stop()
		registered := false
		var session int64 // the session the node was created in
		var watch <-chan gozk.Event
		for {
			select {
			case <-rctx.Done():
				return
			case ev := <-watch:
				// Our node changed or went away (deleted, session lost):
				// check and re-create.
				watch = nil
				r.ok.Store(false)
				if ev.Type == gozk.EventNodeDeleted || ev.Type == gozk.EventNotWatching {
					log.Warn("agent znode disappeared; re-registering", "znode", r.znode)
				}
				registered = false
			case ev := <-events:
				switch ev.State {
				case gozk.StateHasSession:
					registered = false
				case gozk.StateDisconnected:
					r.ok.Store(false)
				case gozk.StateExpired:
					log.Warn("ZooKeeper session expired; re-registering agent", "znode", r.znode)
					registered = false
				}
			case <-retry.C:
				// go-zookeeper drops state events when its channel is
				// full (a long outage makes many): a new session means
				// the ephemeral node went with the old one, event or not.
				if registered && conn.State() == gozk.StateHasSession && conn.SessionID() != session {
					log.Warn("new ZooKeeper session; re-registering agent", "znode", r.znode)
					watch = nil
					r.ok.Store(false)
					registered = false
				}
			}
			if !registered && conn.State() == gozk.StateHasSession {
				used := r.data.Load()
				if err := r.ensure(*used); err != nil {
					log.Warn("ZooKeeper registration failed, retrying", "znode", r.znode, "err", err)
					continue
				}
				log.Info("Registered in ZooKeeper", "znode", r.znode)
				registered, session = true, conn.SessionID()
				r.ok.Store(true)
				if cur := r.data.Load(); cur != used { // Update ran meanwhile
					_, _ = r.conn.Set(r.znode, *cur, -1)
				}
				if ok, _, ch, err := conn.ExistsW(r.znode); err == nil && ok {
					watch = ch
				} else {
					registered = false
				}
			}
		}
	}()
	return r, nil
}

// ensure creates the ephemeral node, replacing one left by an old session.
func (r *Registration) ensure(data []byte) error {
	if err := createParents(r.conn, path.Dir(r.znode)); err != nil {
		return err
	}
	_, err := r.conn.Create(r.znode, data, gozk.FlagEphemeral, gozk.WorldACL(gozk.PermAll))
	if errors.Is(err, gozk.ErrNodeExists) {
		_, st, gerr := r.conn.Get(r.znode)
		if gerr != nil {
			return gerr
		}
		if st.EphemeralOwner == r.conn.SessionID() {
			_, err = r.conn.Set(r.znode, data, -1)
			return err
		}
		if derr := r.conn.Delete(r.znode, -1); derr != nil && !errors.Is(derr, gozk.ErrNoNode) {
			return derr
		}
		_, err = r.conn.Create(r.znode, data, gozk.FlagEphemeral, gozk.WorldACL(gozk.PermAll))
	}
	return err
}

func createParents(conn *gozk.Conn, p string) error {
	cur := ""
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		if part == "" {
			continue
		}
		cur += "/" + part
		_, err := conn.Create(cur, nil, 0, gozk.WorldACL(gozk.PermAll))
		if err != nil && !errors.Is(err, gozk.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", cur, err)
		}
	}
	return nil
}

// Update replaces the entry (e.g. after a live attribute change): the znode
// is rewritten now when registered, and re-registrations use the new entry.
func (r *Registration) Update(entry AgentEntry) error {
	if r == nil {
		return nil
	}
	data, err := json.Marshal(entry)
	if err != nil {
		return err
	}
	r.data.Store(&data)
	if !r.ok.Load() {
		return nil // the registration loop writes it when it (re)registers
	}
	_, err = r.conn.Set(r.znode, data, -1)
	return err
}

// Znode returns the registration's znode path.
func (r *Registration) Znode() string { return r.znode }

// Close deletes the znode (best effort) and ends the session.
func (r *Registration) Close() {
	r.once.Do(func() {
		r.cancel()
		<-r.done
		_ = r.conn.Delete(r.znode, -1)
		r.conn.Close()
	})
}

// ListAgents reads every agent entry under <path>/agents.
func ListAgents(conn *gozk.Conn, base string) ([]AgentEntry, error) {
	dir := AgentsPath(base)
	children, _, err := conn.Children(dir)
	if errors.Is(err, gozk.ErrNoNode) {
		return []AgentEntry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	sort.Strings(children)
	// The znodes are read at once (the connection pipelines requests):
	// one round trip to ZooKeeper instead of one per agent.
	type read struct {
		e   AgentEntry
		ok  bool
		err error
	}
	reads := make([]read, len(children))
	_ = parallel.Each(context.Background(), parallel.DefaultLimit, len(children), func(_ context.Context, i int) {
		p := path.Join(dir, children[i])
		data, _, err := conn.Get(p)
		switch {
		case errors.Is(err, gozk.ErrNoNode): // went away meanwhile
		case err != nil:
			reads[i].err = err
		default:
			if err := json.Unmarshal(data, &reads[i].e); err != nil {
				reads[i].err = fmt.Errorf("znode %s does not hold agent JSON: %v", p, err)
			} else {
				reads[i].ok = true
			}
		}
	})
	out := []AgentEntry{}
	for _, r := range reads {
		if r.err != nil {
			return nil, r.err
		}
		if r.ok {
			out = append(out, r.e)
		}
	}
	return out, nil
}

// MasterInfo is Mesos' JSON MasterInfo as stored in json.info_* znodes.
type MasterInfo struct {
	ID       string `json:"id"`
	IP       uint32 `json:"ip"`
	Port     int    `json:"port"`
	PID      string `json:"pid"`
	Hostname string `json:"hostname"`
	Version  string `json:"version"`
	Address  *struct {
		Hostname string `json:"hostname"`
		IP       string `json:"ip"`
		Port     int    `json:"port"`
	} `json:"address,omitempty"`
}

// HostPort returns where the master's HTTP API is (address.ip or hostname,
// else the IP field decoded from network byte order).
func (m MasterInfo) HostPort() string {
	port := m.Port
	host := m.Hostname
	if m.Address != nil {
		if m.Address.Port != 0 {
			port = m.Address.Port
		}
		if m.Address.IP != "" {
			host = m.Address.IP
		} else if m.Address.Hostname != "" {
			host = m.Address.Hostname
		}
	}
	if host == "" && m.IP != 0 {
		host = fmt.Sprintf("%d.%d.%d.%d", m.IP&0xff, m.IP>>8&0xff, m.IP>>16&0xff, m.IP>>24)
	}
	return fmt.Sprintf("%s:%d", host, port)
}

// LeaderZnode picks the leading master's child among children: the one
// with the smallest numeric sequence suffix whose label is json.info.
// ok is false when there is none.
func LeaderZnode(children []string) (string, bool) {
	best, bestSeq := "", int64(-1)
	for _, c := range children {
		i := strings.LastIndex(c, "_")
		if i < 0 || c[:i] != "json.info" {
			continue
		}
		seq, err := strconv.ParseInt(c[i+1:], 10, 64)
		if err != nil {
			continue
		}
		if bestSeq < 0 || seq < bestSeq {
			best, bestSeq = c, seq
		}
	}
	return best, bestSeq >= 0
}

// DetectMaster returns the leading master's info under base.
func DetectMaster(conn *gozk.Conn, base string) (MasterInfo, error) {
	var mi MasterInfo
	children, _, err := conn.Children(base)
	if err != nil {
		return mi, fmt.Errorf("list %s: %w", base, err)
	}
	leader, ok := LeaderZnode(children)
	if !ok {
		return mi, fmt.Errorf("no leading master: no json.info_* znode under %s", base)
	}
	data, _, err := conn.Get(path.Join(base, leader))
	if err != nil {
		return mi, err
	}
	if err := json.Unmarshal(data, &mi); err != nil {
		return mi, fmt.Errorf("znode %s does not hold MasterInfo JSON: %v", path.Join(base, leader), err)
	}
	return mi, nil
}
