// Package e2e holds no code: its tests run the seed's operator workflows,
// literally, against a 4-node test cluster (internal/testcluster) with real
// sshd, ZooKeeper, OpenSSH client, jq and mesosctl agentd as
// /usr/sbin/mesos-slave, and run scripts/demo.sh.
package e2e
