package api

import "encoding/json"

// State is the v0 /state document (also /slave(1)/state, /state.json), in
// Mesos' emission order.
type State struct {
	Version                      string                     `json:"version"`
	GitSHA                       string                     `json:"git_sha,omitempty"`
	GitBranch                    string                     `json:"git_branch,omitempty"`
	GitTag                       string                     `json:"git_tag,omitempty"`
	BuildDate                    string                     `json:"build_date"`
	BuildTime                    int64                      `json:"build_time"`
	BuildUser                    string                     `json:"build_user"`
	StartTime                    Float                      `json:"start_time"`
	ID                           string                     `json:"id"`
	PID                          string                     `json:"pid"`
	Hostname                     string                     `json:"hostname"`
	Capabilities                 []string                   `json:"capabilities"`
	Domain                       json.RawMessage            `json:"domain,omitempty"`
	Resources                    json.RawMessage            `json:"resources"`
	ReservedResources            map[string]json.RawMessage `json:"reserved_resources"`
	UnreservedResources          json.RawMessage            `json:"unreserved_resources"`
	ReservedResourcesFull        map[string]json.RawMessage `json:"reserved_resources_full"`
	UnreservedResourcesFull      json.RawMessage            `json:"unreserved_resources_full"`
	ReservedResourcesAllocated   map[string]json.RawMessage `json:"reserved_resources_allocated"`
	UnreservedResourcesAllocated json.RawMessage            `json:"unreserved_resources_allocated"`
	ResourceProviders            []json.RawMessage          `json:"resource_providers"`
	Attributes                   json.RawMessage            `json:"attributes"`
	MasterHostname               string                     `json:"master_hostname,omitempty"`
	LogDir                       string                     `json:"log_dir,omitempty"`
	ExternalLogFile              string                     `json:"external_log_file,omitempty"`
	Flags                        map[string]string          `json:"flags"`
	Frameworks                   []Framework                `json:"frameworks"`
	CompletedFrameworks          []Framework                `json:"completed_frameworks"`
}

// Framework is one entry of /state frameworks / completed_frameworks. The
// fields tagged "-" are not part of the v0 shape; they carry what the v1
// API (GET_FRAMEWORKS framework_info) needs.
type Framework struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	User            string     `json:"user"`
	FailoverTimeout Float      `json:"failover_timeout"`
	Checkpoint      bool       `json:"checkpoint"`
	Hostname        string     `json:"hostname"`
	Principal       string     `json:"principal,omitempty"`
	Role            string     `json:"role,omitempty"`  // single-role frameworks
	Roles           []string   `json:"roles,omitempty"` // MULTI_ROLE frameworks
	Executors       []Executor `json:"executors"`
	// CompletedExecutors are the terminated executors kept for /state.
	CompletedExecutors []Executor `json:"completed_executors"`

	// Capabilities are FrameworkInfo capability types (MULTI_ROLE, …).
	Capabilities []string `json:"-"`
	// WebUIURL is FrameworkInfo.webui_url.
	WebUIURL string `json:"-"`
}

// Executor is one entry of a framework's executors / completed_executors.
type Executor struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Source         string          `json:"source"`
	Container      string          `json:"container"`
	Directory      string          `json:"directory"`
	Resources      json.RawMessage `json:"resources"` // summary object
	Role           string          `json:"role,omitempty"`
	Labels         *Labels         `json:"labels,omitempty"`
	Type           string          `json:"type,omitempty"` // DEFAULT / CUSTOM
	Tasks          []Task          `json:"tasks"`
	QueuedTasks    []QueuedTask    `json:"queued_tasks"`
	CompletedTasks []Task          `json:"completed_tasks"`

	// FrameworkID is the owning framework (for v1 executor_info).
	FrameworkID string `json:"-"`
	// Command is the v1 CommandInfo JSON of the executor, if any.
	Command json.RawMessage `json:"-"`
	// ResourcesFull is the [Resource] array (v1 executor_info.resources).
	ResourcesFull json.RawMessage `json:"-"`

	// encoded is the JSON encoding Encode made, or nil.
	encoded []byte
}

// plainExecutor is Executor without its MarshalJSON.
type plainExecutor Executor

// Encode computes e's JSON encoding once, for a server that renders the
// same executor in many responses (agentd's /state): MarshalJSON then
// returns it as it is. Changing e afterwards makes the encoding stale;
// call Encode again.
func (e *Executor) Encode() error {
	e.encoded = nil
	b, err := json.Marshal(plainExecutor(*e))
	if err != nil {
		return err
	}
	e.encoded = b
	return nil
}

// MarshalJSON is the encoding Encode made, else the plain encoding of e.
func (e Executor) MarshalJSON() ([]byte, error) {
	if e.encoded != nil {
		return e.encoded, nil
	}
	return json.Marshal(plainExecutor(e))
}

// Task is a launched or completed task in /state.
type Task struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	FrameworkID string          `json:"framework_id"`
	ExecutorID  string          `json:"executor_id"` // "" for command tasks
	SlaveID     string          `json:"slave_id"`
	State       string          `json:"state"`
	Resources   json.RawMessage `json:"resources"` // summary object
	Limits      json.RawMessage `json:"limits,omitempty"`
	Role        string          `json:"role"`
	Statuses    []Status        `json:"statuses"`
	User        string          `json:"user,omitempty"`
	Labels      *Labels         `json:"labels,omitempty"`
	Discovery   json.RawMessage `json:"discovery,omitempty"`
	Container   json.RawMessage `json:"container,omitempty"`
	HealthCheck json.RawMessage `json:"health_check,omitempty"`

	// ResourcesFull is the [Resource] array (v1 Task.resources).
	ResourcesFull json.RawMessage `json:"-"`
	// StatusUpdateState and StatusUpdateUUID (base64) are the latest
	// status update's state and uuid (v1 Task).
	StatusUpdateState string `json:"-"`
	StatusUpdateUUID  string `json:"-"`
	// KillPolicy is the v1 KillPolicy JSON, if any.
	KillPolicy json.RawMessage `json:"-"`
	// Terminated marks a task in a terminal state whose update is not yet
	// acknowledged (v1 terminated_tasks rather than completed_tasks).
	Terminated bool `json:"-"`
}

// Status is one entry of a task's statuses in /state. The fields tagged "-"
// complete it to a v1 TaskStatus.
type Status struct {
	State           string           `json:"state"`
	Timestamp       Float            `json:"timestamp"`
	Labels          *Labels          `json:"labels,omitempty"`
	ContainerStatus *ContainerStatus `json:"container_status,omitempty"`
	Healthy         *bool            `json:"healthy,omitempty"`

	TaskID     string `json:"-"`
	Message    string `json:"-"`
	Source     string `json:"-"` // SOURCE_EXECUTOR, SOURCE_AGENT, SOURCE_MASTER
	Reason     string `json:"-"` // REASON_*
	AgentID    string `json:"-"`
	ExecutorID string `json:"-"`
	UUID       string `json:"-"` // base64
	Data       string `json:"-"` // base64
}

// QueuedTask is a TaskInfo not yet handed to its executor.
type QueuedTask struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	SlaveID    string          `json:"slave_id"`
	Resources  json.RawMessage `json:"resources"`
	Role       string          `json:"role"`
	Command    json.RawMessage `json:"command,omitempty"`
	ExecutorID string          `json:"executor_id,omitempty"`
	Discovery  json.RawMessage `json:"discovery,omitempty"`
}

// ContainerID is mesos.ContainerID ({"value":…,"parent":{…}}).
type ContainerID struct {
	Value  string       `json:"value"`
	Parent *ContainerID `json:"parent,omitempty"`
}

// String is the dotted form Mesos logs (parent.child).
func (c ContainerID) String() string {
	if c.Parent != nil {
		return c.Parent.String() + "." + c.Value
	}
	return c.Value
}

// ID is a wrapped protobuf ID ({"value":"…"}): FrameworkID, TaskID,
// AgentID, ExecutorID.
type ID struct {
	Value string `json:"value"`
}

// ContainerStatus is mesos.ContainerStatus, fields in Mesos' JSON order.
// The v1 API writes it whole; /state (Status) leaves executor_pid out, as
// Mesos' v0 JSON does.
type ContainerStatus struct {
	ContainerID  *ContainerID    `json:"container_id,omitempty"`
	NetworkInfos []NetworkInfo   `json:"network_infos,omitempty"`
	CgroupInfo   json.RawMessage `json:"cgroup_info,omitempty"`
	ExecutorPID  *uint32         `json:"executor_pid,omitempty"`
}

// v0ContainerStatus is ContainerStatus as /state writes it.
type v0ContainerStatus struct {
	ContainerID  *ContainerID    `json:"container_id,omitempty"`
	NetworkInfos []NetworkInfo   `json:"network_infos,omitempty"`
	CgroupInfo   json.RawMessage `json:"cgroup_info,omitempty"`
}

// MarshalJSON writes the v0 (/state) form of a status: no executor_pid.
func (s Status) MarshalJSON() ([]byte, error) {
	type plain Status
	out := struct {
		plain
		ContainerStatus *v0ContainerStatus `json:"container_status,omitempty"`
	}{plain: plain(s)}
	if cs := s.ContainerStatus; cs != nil {
		out.ContainerStatus = &v0ContainerStatus{ContainerID: cs.ContainerID, NetworkInfos: cs.NetworkInfos, CgroupInfo: cs.CgroupInfo}
	}
	return json.Marshal(out)
}

// NetworkInfo is mesos.NetworkInfo (only the addresses).
type NetworkInfo struct {
	IPAddresses []IPAddress `json:"ip_addresses"`
}

// AgentNetworkInfos is what the agent adds to a status update of a
// container without networks of its own, as Mesos does: one NetworkInfo
// with the agent's IP (and its IPv6 address, when it has one).
func AgentNetworkInfos(ip, ip6 string) []NetworkInfo {
	if ip == "" {
		return nil
	}
	ni := NetworkInfo{IPAddresses: []IPAddress{{Protocol: "IPv4", IPAddress: ip}}}
	if ip6 != "" {
		ni.IPAddresses = append(ni.IPAddresses, IPAddress{Protocol: "IPv6", IPAddress: ip6})
	}
	return []NetworkInfo{ni}
}

// IPAddress is one NetworkInfo.IPAddress.
type IPAddress struct {
	Protocol  string `json:"protocol,omitempty"`
	IPAddress string `json:"ip_address"`
}

// Labels is mesos.Labels ({"labels":[{"key","value"}]}).
type Labels struct {
	Labels []Label `json:"labels"`
}

// Label is one key/value label.
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// Flags is the /flags document: every flag that has a value, as strings.
type Flags struct {
	Flags map[string]string `json:"flags"`
}

// Version is the v0 /version document.
type Version struct {
	Version   string `json:"version"`
	BuildDate string `json:"build_date"`
	BuildTime int64  `json:"build_time"`
	BuildUser string `json:"build_user"`
	GitSHA    string `json:"git_sha,omitempty"`
	GitBranch string `json:"git_branch,omitempty"`
	GitTag    string `json:"git_tag,omitempty"`
}

// Container is one container known to the runtime. Its JSON form is the
// v0 /containers entry; V1 gives the GET_CONTAINERS entry. Standalone and
// nested containers are never listed by /containers (as in Mesos).
type Container struct {
	FrameworkID  string
	ExecutorID   string
	ExecutorName string
	Source       string
	ContainerID  ContainerID
	Status       *ContainerStatus
	Statistics   *ResourceStatistics
	// Standalone marks a LAUNCH_CONTAINER container (no framework).
	Standalone bool
}

// Nested reports whether the container has a parent.
func (c Container) Nested() bool { return c.ContainerID.Parent != nil }

type v0Container struct {
	FrameworkID  string              `json:"framework_id"`
	ExecutorID   string              `json:"executor_id"`
	ExecutorName string              `json:"executor_name"`
	Source       string              `json:"source"`
	ContainerID  string              `json:"container_id"`
	Status       *ContainerStatus    `json:"status,omitempty"`
	Statistics   *ResourceStatistics `json:"statistics,omitempty"`
}

// MarshalJSON writes the v0 /containers entry.
func (c Container) MarshalJSON() ([]byte, error) {
	return json.Marshal(v0Container{c.FrameworkID, c.ExecutorID, c.ExecutorName, c.Source,
		c.ContainerID.Value, c.Status, c.Statistics})
}

// ResourceStatistics is mesos.v1.ResourceStatistics with the fields a
// Linux agent without the network, disk and perf isolators fills, in the
// order Mesos' JSON writes them (/monitor/statistics, /containers,
// GET_CONTAINERS). Absent (nil) fields are left out: a zero is a zero.
type ResourceStatistics struct {
	Timestamp             Float   `json:"timestamp"`
	Processes             *uint32 `json:"processes,omitempty"`
	Threads               *uint32 `json:"threads,omitempty"`
	CPUsUserTimeSecs      *Float  `json:"cpus_user_time_secs,omitempty"`
	CPUsSystemTimeSecs    *Float  `json:"cpus_system_time_secs,omitempty"`
	CPUsLimit             *Float  `json:"cpus_limit,omitempty"`
	CPUsSoftLimit         *Float  `json:"cpus_soft_limit,omitempty"`
	CPUsNrPeriods         *uint32 `json:"cpus_nr_periods,omitempty"`
	CPUsNrThrottled       *uint32 `json:"cpus_nr_throttled,omitempty"`
	CPUsThrottledTimeSecs *Float  `json:"cpus_throttled_time_secs,omitempty"`
	MemTotalBytes         *uint64 `json:"mem_total_bytes,omitempty"`
	MemTotalMemswBytes    *uint64 `json:"mem_total_memsw_bytes,omitempty"`
	MemLimitBytes         *uint64 `json:"mem_limit_bytes,omitempty"`
	MemSoftLimitBytes     *uint64 `json:"mem_soft_limit_bytes,omitempty"`
	MemFileBytes          *uint64 `json:"mem_file_bytes,omitempty"`
	MemAnonBytes          *uint64 `json:"mem_anon_bytes,omitempty"`
	MemCacheBytes         *uint64 `json:"mem_cache_bytes,omitempty"`
	MemRSSBytes           *uint64 `json:"mem_rss_bytes,omitempty"`
	MemMappedFileBytes    *uint64 `json:"mem_mapped_file_bytes,omitempty"`
	MemSwapBytes          *uint64 `json:"mem_swap_bytes,omitempty"`
	MemUnevictableBytes   *uint64 `json:"mem_unevictable_bytes,omitempty"`
	// The memory pressure events counted by the cgroups/mem isolator (v1).
	MemLowPressureCounter      *uint64 `json:"mem_low_pressure_counter,omitempty"`
	MemMediumPressureCounter   *uint64 `json:"mem_medium_pressure_counter,omitempty"`
	MemCriticalPressureCounter *uint64 `json:"mem_critical_pressure_counter,omitempty"`
}

// MonitorStatistics is one /monitor/statistics entry: an executor and
// its container's usage.
type MonitorStatistics struct {
	ExecutorID   string             `json:"executor_id"`
	ExecutorName string             `json:"executor_name"`
	FrameworkID  string             `json:"framework_id"`
	Source       string             `json:"source"`
	Statistics   ResourceStatistics `json:"statistics"`
}
