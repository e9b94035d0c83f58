package v1pb

import "sync"

// Load builds mesos.proto's descriptors and message types and registers
// them with protobuf's global registry, once. protoc-gen-go does that from
// a package init; go:generate deletes that init (see gen.go), because every
// start of the multi-call binary paid it (≈ 180 KB allocated, ≈ 6 % of a
// start's CPU) while only agentd's protobuf media type and its protobuf
// typed flags use these messages. Everything in this package that reads a
// message through protobuf's reflection calls Load first; code outside it
// that does (internal/agentd/flags) calls Load before its first message.
var Load = sync.OnceFunc(file_mesos_proto_init)
