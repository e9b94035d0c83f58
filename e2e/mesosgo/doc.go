// Package mesosgo holds no code: its tests drive a real agentd (the
// mesosctl binary built from this repository) with a real Mesos client
// nobody on this project wrote, the Go library github.com/mesos/mesos-go
// v0.0.11 (agent calls through httpagent), once with its default codec,
// protobuf, and once with JSON, over every v1 call agentd implements.
//
// It is a module of its own so that mesos-go and its dependencies stay out
// of mesosctl's go.mod; scripts/test.sh runs it after the main module.
package mesosgo
