package api

import "encoding/json"

// The mesosctl live attribute API: agentd (not Apache Mesos) changes its
// attributes while running, without a restart, a new agent ID, or touching
// tasks. `mesosctl agent set-attributes` uses it when the node runs agentd.
//
//	GET  /mesosctl/v1/attributes   → Attributes (the current ones)
//	POST /mesosctl/v1/attributes   SetAttributes → 200 Attributes
//
// POST replaces every attribute with the ones given (the text form of
// --attributes, validated with Mesos' grammar), checkpoints them into
// <work_dir>/meta/slaves/<agent_id>/slave.info (atomically), updates the
// agent's ZooKeeper registration, and answers with the new attributes.
// /state, /flags ("attributes") and GET_AGENT show them at once. A restart
// keeps the same agent ID when the flag file holds the same attributes.
//
// With "persist": true, POST also writes the attributes into the agent's
// flag file <config_dir>/attributes (atomically; after the checkpoint, which
// is rolled back if the file cannot be written), so that a CLI needs no SSH
// to make the change last. GET reports config_dir and that file's content.
//
// POST is in the readwrite realm (HTTP basic auth when the agent has
// --authenticate_http_readwrite; 401 otherwise). Errors are JSON
// {"error": "…"}: 400 (bad JSON or bad attributes), 405, 503 (recovering),
// 500 (the checkpoint could not be written: nothing changed).

// AttributesPath is the URL path of the live attribute API.
const AttributesPath = "/mesosctl/v1/attributes"

// AgentdBuildUser is the build_user agentd reports in /version; mesosctl
// uses it to tell agentd from an Apache Mesos agent.
const AgentdBuildUser = "mesosctl"

// SetAttributes is the POST body.
type SetAttributes struct {
	// Attributes in --attributes syntax, e.g. "os:centos7;rack:3"; ""
	// removes every attribute.
	Attributes string `json:"attributes"`
	// Persist also writes <config_dir>/attributes (400 when the agent runs
	// without a config_dir).
	Persist bool `json:"persist,omitempty"`
}

// Attributes is the answer of GET and POST.
type Attributes struct {
	AgentID string `json:"agent_id"`
	// Attributes in --attributes syntax (as /flags shows them).
	Attributes string `json:"attributes"`
	// Object is the /state "attributes" object.
	Object json.RawMessage `json:"object"`
	// ConfigDir is the agent's flag-file directory ("" = none).
	ConfigDir string `json:"config_dir"`
	// File is the content of <config_dir>/attributes without trailing
	// newlines; null when there is no such file.
	File *string `json:"file"`
	// Persisted is the flag file a POST with persist wrote.
	Persisted string `json:"persisted,omitempty"`
}

// AttributesError is the body of an error answer of the attribute API.
type AttributesError struct {
	Error string `json:"error"`
}
