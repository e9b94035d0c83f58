// Package stout parses and renders flag values exactly as Mesos' stout
// library does, so that agentd's /flags and mesosctl's Mesos personalities
// read and print what a Mesos 1.11 binary would: durations ("1mins",
// "15secs", "333.333333ms"), byte sizes ("2GB", "1536MB"), booleans
// (true/1/false/0), JSON-object values (compact, keys sorted), and the
// command-line forms --name=value, --name and --no-name.
//
// Everything is pure: no I/O, no global state.
package stout
