package docker

import (
	"regexp"
	"strings"
	"sync"
)

// NamePrefix is the prefix of every container a Mesos agent starts; an
// agent with --docker_kill_orphans treats every container named so as its
// own.
const NamePrefix = "mesos-"

// nameSeparator separates the agent ID from the container ID in the names
// of Mesos 0.23 to 1.3 (mesos-<agent id>.<container id>).
const nameSeparator = "."

// ContainerName is the Docker container of a Mesos container:
// mesos-<container id>.
func ContainerName(containerID string) string { return NamePrefix + containerID }

var uuidRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
})

// ParseName returns the Mesos container ID a Docker container name stands
// for, as Mesos' agent parses it: mesos-<id> (Mesos ≤ 0.22 and ≥ 1.4) or
// mesos-<agent id>.<id>[.executor] (0.23 to 1.3), with an optional
// leading "/", where <id> must be a UUID. ok is false for a container
// no Mesos agent started.
func ParseName(name string) (containerID string, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimPrefix(name, "/"), NamePrefix)
	if !found {
		return "", false
	}
	id := rest
	if strings.Contains(rest, nameSeparator) {
		parts := strings.Split(rest, nameSeparator)
		if len(parts) != 2 && len(parts) != 3 {
			return "", false
		}
		id = parts[1]
	}
	if !uuidRE().MatchString(id) {
		return "", false
	}
	return id, true
}
