// Package agentd is the Mesos-compatible agent daemon: it loads its
// configuration (package flags), establishes its identity in --work_dir
// (agent ID, meta/slaves/<id>/slave.info, the meta/slaves/latest link,
// reconfiguration checks), serves the HTTP API (package httpapi), registers
// in ZooKeeper when --master is zk://, and delegates task execution to a
// Runtime. It turns the flags into its configuration (NewConfig: also the
// --isolation policy) and its log (NewLogger), and builds the real
// runtime (package runtime) itself; internal/cmd/agentd only parses the
// command line and calls it.
package agentd
