// Package agentd is the Mesos-compatible agent daemon: it loads its
// configuration (package flags), establishes its identity in --work_dir
// (agent ID, meta/slaves/<id>/slave.info, the meta/slaves/latest link,
// reconfiguration checks), serves the HTTP API (package httpapi), registers
// in ZooKeeper when --master is zk://, and delegates task execution to a
// Runtime.
package agentd
