package agentd

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/atomicfile"
	"github.com/mesosctl/mesosctl/internal/mesos"
)

// AgentInfo is what the agent checkpoints in meta/slaves/<id>/slave.info.
// Mesos writes a length-prefixed SlaveInfo protobuf there; agentd writes
// this JSON (protobuf JSON field names) instead.
type AgentInfo struct {
	ID         string          `json:"id"`
	Hostname   string          `json:"hostname"`
	Port       int             `json:"port"`
	Resources  json.RawMessage `json:"resources"`
	Attributes json.RawMessage `json:"attributes"`
	Domain     string          `json:"domain,omitempty"`
}

// Identity is the result of identity recovery.
type Identity struct {
	ID  string
	New bool // no usable checkpoint: a fresh agent ID
}

var agentIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+)-S([0-9]+)$`) })

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// nextAgentID picks a new ID: the prefix of the agents already in
// meta/slaves with the counter one past the highest (as a master would
// hand out <master-id>-S<n+1>), or a fresh UUID with S0.
func nextAgentID(slavesDir string) string {
	entries, _ := os.ReadDir(slavesDir)
	prefix, max := "", -1
	for _, e := range entries {
		m := agentIDRE().FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if n > max {
			prefix, max = m[1], n
		}
	}
	if prefix == "" {
		return newUUID() + "-S0"
	}
	return fmt.Sprintf("%s-S%d", prefix, max+1)
}

// RecoveryError is a failed identity recovery; its message is the one Mesos
// prints (what changed and the rm -f …/meta/slaves/latest hint).
type RecoveryError struct {
	WorkDir string
	Err     error
}

func (e *RecoveryError) Error() string {
	return fmt.Sprintf(`Failed to perform recovery: %v
If recovery failed due to a change in configuration and you want to
keep the current agent id, you might want to change the
`+"`--reconfiguration_policy`"+` flag to a more permissive value.

To restart this agent with a new agent id instead, do as follows:
rm -f %s
This ensures that the agent does not recover old live executors.

If you use the Docker containerizer and think that the Docker
daemon state is broken, you can try to clear it. But be careful:
these commands will erase all containers and images from this host,
not just those started by Mesos!
docker kill $(docker ps -q)
docker rm $(docker ps -a -q)
docker rmi $(docker images -q)

Finally, restart the agent.`, e.Err, filepath.Join(e.WorkDir, "meta", "slaves", "latest"))
}

func (e *RecoveryError) Unwrap() error { return e.Err }

// RecoverIdentity reads meta/slaves/latest and checks the checkpointed
// agent info against info under policy. Without a checkpoint it picks a new
// agent ID. It then (re)writes slave.info, the latest links and boot_id.
func RecoverIdentity(workDir, policy string, info mesos.AgentInfo) (Identity, error) {
	meta := filepath.Join(workDir, "meta")
	slavesDir := filepath.Join(meta, "slaves")
	latest := filepath.Join(slavesDir, "latest")
	id := Identity{}
	target, err := os.Readlink(latest)
	switch {
	case err == nil:
		id.ID = filepath.Base(target)
		old, err := readAgentInfo(filepath.Join(slavesDir, id.ID, "slave.info"))
		if err != nil {
			return id, &RecoveryError{WorkDir: workDir, Err: err}
		}
		if err := mesos.CheckReconfiguration(policy, old, info); err != nil {
			return id, &RecoveryError{WorkDir: workDir, Err: fmt.Errorf("Incompatible agent info detected.\n%v", err)}
		}
	case errors.Is(err, os.ErrNotExist):
		id.ID, id.New = nextAgentID(slavesDir), true
	default:
		return id, &RecoveryError{WorkDir: workDir, Err: fmt.Errorf("cannot read %s: %v", latest, err)}
	}
	if err := writeAgentInfo(filepath.Join(slavesDir, id.ID, "slave.info"), id.ID, info); err != nil {
		return id, err
	}
	if err := atomicfile.Symlink(id.ID, latest); err != nil {
		return id, err
	}
	sandboxes := filepath.Join(workDir, "slaves")
	if err := os.MkdirAll(filepath.Join(sandboxes, id.ID), 0o755); err != nil {
		return id, err
	}
	if err := atomicfile.Symlink(id.ID, filepath.Join(sandboxes, "latest")); err != nil {
		return id, err
	}
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		if err := atomicfile.WriteFile(filepath.Join(meta, "boot_id"), []byte(strings.TrimSpace(string(b))), 0o644); err != nil {
			return id, err
		}
	}
	return id, nil
}

func readAgentInfo(path string) (mesos.AgentInfo, error) {
	var out mesos.AgentInfo
	b, err := os.ReadFile(path)
	if err != nil {
		return out, fmt.Errorf("Failed to read agent info '%s': %v", path, err)
	}
	var ai AgentInfo
	if err := json.Unmarshal(b, &ai); err != nil {
		return out, fmt.Errorf("Failed to parse agent info '%s' (torn or foreign checkpoint?): %v", path, err)
	}
	res, err := mesos.ParseResources(string(ai.Resources), "*")
	if err != nil && len(ai.Resources) > 2 {
		return out, fmt.Errorf("Failed to parse resources in '%s': %v", path, err)
	}
	attrs, err := mesos.ParseV1Attributes(ai.Attributes)
	if err != nil {
		return out, fmt.Errorf("Failed to parse attributes in '%s': %v", path, err)
	}
	return mesos.AgentInfo{Hostname: ai.Hostname, Port: ai.Port, Resources: res, Attributes: attrs, Domain: ai.Domain}, nil
}

func writeAgentInfo(path, id string, info mesos.AgentInfo) error {
	ai := AgentInfo{ID: id, Hostname: info.Hostname, Port: info.Port,
		Resources: info.Resources.FullJSON(), Attributes: info.Attributes.V1JSON(), Domain: info.Domain}
	b, err := json.MarshalIndent(ai, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}

// v1AgentInfo is the GET_AGENT form.
func v1AgentInfo(id string, info mesos.AgentInfo) api.AgentInfo {
	return api.AgentInfo{Hostname: info.Hostname, Port: info.Port,
		Resources: info.Resources.FullJSON(), Attributes: info.Attributes.V1JSON(),
		ID: &api.ID{Value: id}, Capabilities: capabilityList()}
}

func capabilityList() []api.Capability {
	var out []api.Capability
	for _, c := range Capabilities {
		out = append(out, api.Capability{Type: c})
	}
	return out
}

// Capabilities are the agent capabilities reported in /state.
var Capabilities = []string{"MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT",
	"RESOURCE_PROVIDER", "RESIZE_VOLUME", "AGENT_OPERATION_FEEDBACK", "AGENT_DRAINING",
	"TASK_RESOURCE_LIMITS"}
