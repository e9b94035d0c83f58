package sshkeep

import "runtime/debug"

// GCPercent is the daemon's garbage-collection target (what GOGC sets),
// used when the environment sets no GOGC.
//
// Nearly all of the daemon's heap is command output in flight: each SSH
// channel buffers what its node has sent and the client has not yet taken
// from the pipe, up to the channel's receive window (2 MiB in
// golang.org/x/crypto/ssh, fixed), and every 32 KiB packet is a new
// allocation. With Go's default of 100 the heap grows to twice that live
// data before a collection, so with 64 nodes printing faster than the
// client reads, 64 × 2 MiB live became ~360 MB of RSS. The buffers are
// pointer-free, so a collection only has to mark a few thousand objects
// and a low target costs little CPU.
const GCPercent = 20

// TuneMemory sets the garbage-collection target of the daemon's process to
// GCPercent unless GOGC is set in the environment (getenv).
func TuneMemory(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
