// Command mesosctl is the Mesos operator CLI and, invoked as `mesosctl agentd`
// or through a link named mesos-agent or mesos-slave, a Mesos-compatible agent.
package main

import (
	"os"

	"github.com/mesosctl/mesosctl/internal/mesosctl"
)

func main() {
	os.Exit(int(mesosctl.Main(os.Args)))
}
