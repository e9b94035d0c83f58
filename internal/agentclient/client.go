// Package agentclient is a typed HTTP client for Mesos-style agent (and
// master) endpoints: /state, /flags, /health, /version, a master's /slaves,
// and agentd's own task, process and attribute API under /mesosctl/v1. It
// works against real Apache Mesos agents and against agentd.
package agentclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// DefaultTimeout bounds each request when the caller's context has no
// deadline.
const DefaultTimeout = 10 * time.Second

// Client talks to one agent.
type Client struct {
	// BaseURL is http://host:port (a bare host:port is accepted by New).
	BaseURL string
	// User and Password are HTTP basic credentials (empty = none). With
	// none, an agent of this host that answers 401 is asked again with
	// its own read-write credential, when this user can read it (see
	// LocalCredentialsFile).
	User, Password string
	// Timeout per request (DefaultTimeout when 0).
	Timeout time.Duration
	HTTP    *http.Client

	mu        sync.Mutex
	localDone bool   // the local credential was looked for
	localHint string // why it could not be used (for the 401 message)
}

// New returns a client for addr ("host:port" or a URL).
func New(addr string) *Client {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return &Client{BaseURL: strings.TrimRight(addr, "/"), HTTP: http.DefaultClient}
}

// SetCredentials sets the basic credentials from "principal:secret" (the
// form of defaults.http_credentials); a value without ':' sets none.
func (c *Client) SetCredentials(s string) {
	if user, pass, ok := strings.Cut(s, ":"); ok {
		c.User, c.Password = user, pass
	}
}

// HTTPError is a non-2xx answer.
type HTTPError struct {
	URL    string
	Status int
	Body   string
	// Hint says what to do about it, when the client knows more than the
	// status (a 401 from an agent of this host whose credential it cannot
	// read).
	Hint string
}

func (e *HTTPError) Error() string {
	msg := strings.TrimSpace(e.Body)
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	switch e.Status {
	case http.StatusUnauthorized:
		hint := e.Hint
		if hint == "" {
			hint = "set http_credentials in the mesosctl config"
		}
		return fmt.Sprintf("%s: 401 Unauthorized (%s): %s", e.URL, hint, msg)
	case http.StatusServiceUnavailable:
		return fmt.Sprintf("%s: 503 (agent still recovering? retry shortly): %s", e.URL, msg)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.URL, e.Status, msg)
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, hdr map[string]string) ([]byte, int, error) {
	b, status, err := c.send(ctx, method, path, body, hdr)
	if status != http.StatusUnauthorized {
		return b, status, err
	}
	// An agent of this host, without configured credentials: its own
	// read-write credential, once, if this user may read it.
	if c.useLocalCredentials(ctx) {
		return c.send(ctx, method, path, body, hdr)
	}
	var he *HTTPError
	if errors.As(err, &he) {
		c.mu.Lock()
		he.Hint = c.localHint
		c.mu.Unlock()
	}
	return b, status, err
}

// useLocalCredentials looks for the local agent's credential (once per
// client) when no credentials were configured; it reports whether the
// request should be sent again with them.
func (c *Client) useLocalCredentials(ctx context.Context) bool {
	c.mu.Lock()
	if c.localDone || c.User != "" {
		c.mu.Unlock()
		return false
	}
	c.localDone = true
	c.mu.Unlock()
	user, pass, tried, err := c.localCredentials(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if len(tried) > 0 {
			c.localHint = fmt.Sprintf("this host's agent credential is in %s, which this user cannot read (%v): run mesosctl as root, or set http_credentials in the mesosctl config",
				strings.Join(tried, " or "), err)
		}
		return false
	}
	c.User, c.Password = user, pass
	return true
}

func (c *Client) send(ctx context.Context, method, path string, body []byte, hdr map[string]string) ([]byte, int, error) {
	if _, ok := ctx.Deadline(); !ok {
		t := c.Timeout
		if t == 0 {
			t = DefaultTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return nil, 0, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c.mu.Lock()
	user, pass := c.User, c.Password
	c.mu.Unlock()
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		return b, resp.StatusCode, &HTTPError{URL: c.BaseURL + path, Status: resp.StatusCode, Body: string(b)}
	}
	return b, resp.StatusCode, nil
}

// GetJSON GETs path and returns the raw JSON body.
func (c *Client) GetJSON(ctx context.Context, path string) (json.RawMessage, error) {
	b, _, err := c.do(ctx, http.MethodGet, path, nil, map[string]string{"Accept": "application/json"})
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s%s: answer is not JSON", c.BaseURL, path)
	}
	return b, nil
}

// State returns /state as raw JSON (field order preserved).
func (c *Client) State(ctx context.Context) (json.RawMessage, error) { return c.GetJSON(ctx, "/state") }

// StateTyped returns /state decoded.
func (c *Client) StateTyped(ctx context.Context) (*api.State, error) {
	raw, err := c.State(ctx)
	if err != nil {
		return nil, err
	}
	var st api.State
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("%s/state: %v", c.BaseURL, err)
	}
	return &st, nil
}

// PlacementState returns what placement needs of the agent's /state: from
// agentd's compact placement view (api.PlacementPath) when the agent has
// one, else (an Apache Mesos agent answers 404) from the whole /state.
func (c *Client) PlacementState(ctx context.Context) (*api.State, error) {
	raw, err := c.GetJSON(ctx, api.PlacementPath)
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return c.StateTyped(ctx)
	}
	if err != nil {
		return nil, err
	}
	var p api.Placement
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%s%s: %v", c.BaseURL, api.PlacementPath, err)
	}
	return p.State(), nil
}

// Flags returns /flags as a map.
func (c *Client) Flags(ctx context.Context) (map[string]string, error) {
	raw, err := c.GetJSON(ctx, "/flags")
	if err != nil {
		return nil, err
	}
	var f api.Flags
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, err
	}
	return f.Flags, nil
}

// Health returns nil when /health answers 200.
func (c *Client) Health(ctx context.Context) error {
	_, _, err := c.do(ctx, http.MethodGet, "/health", nil, nil)
	return err
}

// Version returns /version.
func (c *Client) Version(ctx context.Context) (*api.Version, error) {
	raw, err := c.GetJSON(ctx, "/version")
	if err != nil {
		return nil, err
	}
	var v api.Version
	return &v, json.Unmarshal(raw, &v)
}

// AgentdVersion returns the mesosctl version of an agentd ("" for an
// Apache Mesos agent): agentd reports build_user "mesosctl" in /version and
// its own version as git_tag.
func AgentdVersion(v *api.Version) string {
	if v == nil || v.BuildUser != api.AgentdBuildUser {
		return ""
	}
	if v.GitTag == "" {
		return "unknown"
	}
	return v.GitTag
}

// Attributes returns an agentd's live attributes and its attributes flag
// file (GET api.AttributesPath; Apache Mesos agents answer 404).
func (c *Client) Attributes(ctx context.Context) (*api.Attributes, error) {
	raw, err := c.GetJSON(ctx, api.AttributesPath)
	if err != nil {
		return nil, err
	}
	var out api.Attributes
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s%s: bad response: %v", c.BaseURL, api.AttributesPath, err)
	}
	return &out, nil
}

// SetAttributes replaces an agentd's attributes live (POST
// api.AttributesPath; Apache Mesos agents answer 404).
func (c *Client) SetAttributes(ctx context.Context, req api.SetAttributes) (*api.Attributes, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	b, _, err := c.do(ctx, http.MethodPost, api.AttributesPath, body,
		map[string]string{"Content-Type": "application/json", "Accept": "application/json"})
	if err != nil {
		var he *HTTPError
		var ae api.AttributesError
		if errors.As(err, &he) && json.Unmarshal([]byte(he.Body), &ae) == nil && ae.Error != "" {
			he.Body = ae.Error
		}
		return nil, err
	}
	var out api.Attributes
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s%s: bad response: %v", c.BaseURL, api.AttributesPath, err)
	}
	return &out, nil
}
