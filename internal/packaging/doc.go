// Package packaging holds no code: its tests build the release packages with
// goreleaser (goreleaser.yaml, the files under packaging/) and install the
// .deb packages with dpkg into a throwaway root, checking what an operator
// gets: paths, the systemd unit, the conffiles, the compat links, and that
// the compat package refuses to install next to a real Mesos package while
// the main package does not clash with it. See docs/packaging.md.
package packaging
