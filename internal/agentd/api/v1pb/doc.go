// Package v1pb is the protobuf form of agentd's v1 operator API: the Call
// and Response messages and the mesos.v1 messages they carry, generated
// from mesosctl's own proto2 subset (mesos.proto, written from Mesos 1.11's
// field numbers), the conversion between that and the JSON wire types of
// internal/agentd/api, and RecordIO framing. It also has the messages of
// the protobuf-typed agent flags (ACLs, Modules, …), which
// internal/agentd/flags parses and renders as Mesos' /flags does.
//
// JSON is the API's model: a protobuf request is decoded and rewritten as
// the JSON Mesos would have received (DecodeCall), and a JSON response is
// re-encoded as protobuf (ResponseProto), so both media types carry the same
// documents.
package v1pb
