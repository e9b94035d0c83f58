// Package build holds the version information stamped into the binary at
// link time (-ldflags "-X github.com/mesosctl/mesosctl/internal/build.Version=…").
package build

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at link time; the defaults describe a development build.
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)

// Info is the version information of this binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Current returns the version information of the running binary. For
// builds whose ldflags left the commit or date unset or empty (development
// builds; goreleaser snapshots of a clone without a remote, where its git
// data is empty) it falls back to the VCS data Go embeds, when there is any.
func Current() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "none"
	}
	if info.Date == "" || strings.HasPrefix(info.Date, "0001-01-01") { // empty or Go's zero time
		info.Date = "unknown"
	}
	if info.Commit == "none" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					info.Commit = s.Value
				case "vcs.time":
					if info.Date == "unknown" {
						info.Date = s.Value
					}
				}
			}
		}
	}
	return info
}

// String renders the one-line form printed by `mesosctl --version`.
func (i Info) String() string {
	return fmt.Sprintf("mesosctl %s (commit %s, built %s, %s %s)", i.Version, i.Commit, i.Date, i.GoVersion, i.Platform)
}
