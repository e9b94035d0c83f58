// Package api holds the Go types of the JSON documents a Mesos agent serves:
// the v0 endpoints (/state, /flags, /version, /containers) and the v1
// operator API (POST /api/v1) Call and Response envelopes.
//
// Field names and field order follow Apache Mesos 1.11 exactly (see
// docs/compatibility.md), because operators' jq scripts depend on them.
// Resource summaries, attribute objects and full resource arrays are carried
// as json.RawMessage produced by internal/mesos (Resources.SummaryJSON,
// Resources.FullJSON, Attributes.V0JSON/V1JSON), which keeps this package a
// leaf that CLI verbs may import without pulling in the daemon.
package api
