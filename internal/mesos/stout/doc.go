// Package stout parses and renders flag values exactly as Mesos' stout
// library does, so that agentd's /flags and mesosctl's Mesos personalities
// read and print what a Mesos 1.11 binary would: byte sizes ("2GB",
// "1536MB"), booleans (true/1/false/0), doubles, JSON-object values
// (compact, keys sorted), and the command-line forms --name=value, --name
// and --no-name. Durations are the mesos package's (mesos.ParseDuration).
//
// Everything is pure: no I/O, no global state.
package stout
