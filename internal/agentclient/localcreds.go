package agentclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// LocalCredentialsFile is where the mesosctl package puts the read-write
// credential of the node's agentd (created at installation, mode 0600).
const LocalCredentialsFile = "/etc/mesosctl/agentd-credentials.json"

// localCredentials finds the read-write credential of an agent that runs
// on this host, as its --http_credentials file (named by its /flags, which
// shows paths) or the packaged LocalCredentialsFile: the first principal
// of the first file that can be read. An agent on another host never gets
// a credential from this one. It returns the files it tried when none
// could be read.
func (c *Client) localCredentials(ctx context.Context) (user, pass string, tried []string, err error) {
	u, err := url.Parse(c.BaseURL)
	if err != nil || !isLocalHost(ctx, u.Hostname()) {
		return "", "", nil, errors.New("not an agent of this host")
	}
	var files []string
	if b, _, err := c.do(ctx, "GET", "/flags", nil, map[string]string{"Accept": "application/json"}); err == nil {
		var f struct {
			Flags map[string]string `json:"flags"`
		}
		if json.Unmarshal(b, &f) == nil {
			if p := strings.TrimPrefix(f.Flags["http_credentials"], "file://"); strings.HasPrefix(p, "/") {
				files = append(files, p)
			}
		}
	}
	if len(files) == 0 || files[0] != LocalCredentialsFile {
		files = append(files, LocalCredentialsFile)
	}
	var errs []error
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var doc struct {
			Credentials []struct {
				Principal string `json:"principal"`
				Secret    string `json:"secret"`
			} `json:"credentials"`
		}
		if err := json.Unmarshal(b, &doc); err != nil || len(doc.Credentials) == 0 || doc.Credentials[0].Principal == "" {
			errs = append(errs, fmt.Errorf("%s: no credential in it (expected {\"credentials\":[{\"principal\":…,\"secret\":…}]})", f))
			continue
		}
		return doc.Credentials[0].Principal, doc.Credentials[0].Secret, files, nil
	}
	return "", "", files, errors.Join(errs...)
}

// isLocalHost reports whether host (a name or an IP) is this host: a
// loopback address, or addresses all of which belong to this host's
// interfaces.
func isLocalHost(ctx context.Context, host string) bool {
	if host == "localhost" {
		return true
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil || len(addrs) == 0 {
			return false
		}
		ips = ips[:0]
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	own, _ := net.InterfaceAddrs()
	for _, ip := range ips {
		if ip.IsLoopback() {
			continue
		}
		mine := false
		for _, a := range own {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				mine = true
			}
		}
		if !mine {
			return false
		}
	}
	return true
}
