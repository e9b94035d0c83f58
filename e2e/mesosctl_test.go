package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// The same workflows through mesosctl: `mesosctl ex` for the hand-written
// commands, and mesosctl's own verbs where they exist.

func TestExHostnameOnEveryNode(t *testing.T) {
	want := "-- lxb001 --\nlxb001\n-- lxb002 --\nlxb002\n-- lxb003 --\nlxb003\n-- lxb004 --\nlxb004\n"
	if out := sh(t, "mesosctl ex --ordered lxb00[1-4] hostname"); out != want {
		t.Errorf("mesosctl ex --ordered lxb00[1-4] hostname:\n%s", out)
	}
	// Without the environment, naming the inventory file.
	if out := sh(t, fmt.Sprintf("env -u MESOSCTL_CONFIG mesosctl --config %s ex --ordered lxb00[1-4] hostname", c.ConfigFile)); out != want {
		t.Errorf("mesosctl --config … ex lxb00[1-4] hostname:\n%s", out)
	}
}

// Workflow 1, the mesosctl way.
func TestWorkflow1AgentPs(t *testing.T) {
	out := sh(t, "mesosctl agent ps lxb00[1-4]")
	for _, n := range c.Nodes {
		block := fmt.Sprintf("-- %s --\n/usr/sbin/mesos-slave\n\t--ip=%s\n\t--port=5051\n\t--work_dir=/var/lib/mesos\n\t--log_dir=/var/log/mesos\n\t--master=%s\n",
			n.Name, n.IP, c.ZooKeeper)
		if !strings.Contains(out, block) {
			t.Errorf("mesosctl agent ps lacks\n%s\nin\n%s", block, out)
		}
	}
	// Same processes the ps-over-ex way.
	out = sh(t, "mesosctl ex -b lxb00[1-4] 'pgrep -c -f ^/usr/sbin/mesos-slave'")
	if !strings.Contains(out, "lxb[001-004] (4)") || !strings.Contains(out, "\n1\n") {
		t.Errorf("one agent per node expected:\n%s", out)
	}
}

// Workflow 3 through mesosctl ex (on lxb003, so the ssh variant's lxb001
// stays independent).
func TestWorkflow3ThroughEx(t *testing.T) {
	sh(t, `mesosctl ex lxb003 "echo 'cpus:24;mem:122880;disk:921600;ports:[21000-29000]' > /etc/mesos-slave/resources && echo 'os:centos7;rack:3' > /etc/mesos-slave/attributes"
mesosctl ex lxb003 'rm -rf /var/lib/mesos/meta/slaves/latest && systemctl restart mesos-slave'`)
	st := waitState(t, "lxb003", func(st map[string]any) bool {
		a, _ := st["attributes"].(map[string]any)
		return a != nil && a["rack"] == 3.0
	})
	if r, _ := st["resources"].(map[string]any); r["cpus"] != 24.0 || r["mem"] != 122880.0 || r["disk"] != 921600.0 || r["ports"] != "[21000-29000]" {
		t.Errorf("lxb003 resources = %v", r)
	}
}

// Workflow 4 through mesosctl ex: back to the default, then mesos,docker.
func TestWorkflow4ThroughEx(t *testing.T) {
	for _, want := range []string{"mesos", "mesos,docker"} {
		cmd := "rm -f /etc/mesos-slave/containerizers && systemctl restart mesos-slave"
		if want != "mesos" {
			cmd = "echo " + want + " > /etc/mesos-slave/containerizers && systemctl restart mesos-slave"
		}
		sh(t, "mesosctl ex lxb00[1-4] '"+cmd+"'")
		for _, n := range c.Nodes {
			waitState(t, n.Name, func(st map[string]any) bool {
				f, _ := st["flags"].(map[string]any)
				return f != nil && f["containerizers"] == want
			})
		}
	}
	out := sh(t, "mesosctl ex -b lxb00[1-4] cat /etc/mesos-slave/containerizers")
	if !strings.Contains(out, "lxb[001-004] (4)") || !strings.Contains(out, "mesos,docker") {
		t.Errorf("gathered containerizers:\n%s", out)
	}
}
