// Package mesos implements the Apache Mesos value grammar used by agent flags
// and endpoints: scalars, ranges, sets and text values (values.cpp), the
// --resources text and JSON forms (resources.cpp), the --attributes form
// (attributes.cpp), durations (stout's Duration: 5secs, 1.5hrs), their v0
// summary and v1/protobuf JSON renderings, resource accounting
// (Contains/Add/Subtract), auto-detection of agent resources and the
// --reconfiguration_policy check.
//
// Everything except DetectResources is pure: no I/O, no global state.
package mesos
