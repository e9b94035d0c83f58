package api

import (
	"encoding/json"
	"fmt"
	"sync"
)

// v1 call types (mesos.v1.agent.Call.Type) the agent knows by name.
const (
	CallUnknown                = "UNKNOWN"
	CallGetHealth              = "GET_HEALTH"
	CallGetFlags               = "GET_FLAGS"
	CallGetVersion             = "GET_VERSION"
	CallGetMetrics             = "GET_METRICS"
	CallGetLoggingLevel        = "GET_LOGGING_LEVEL"
	CallSetLoggingLevel        = "SET_LOGGING_LEVEL"
	CallListFiles              = "LIST_FILES"
	CallReadFile               = "READ_FILE"
	CallGetState               = "GET_STATE"
	CallGetContainers          = "GET_CONTAINERS"
	CallGetFrameworks          = "GET_FRAMEWORKS"
	CallGetExecutors           = "GET_EXECUTORS"
	CallGetOperations          = "GET_OPERATIONS"
	CallGetTasks               = "GET_TASKS"
	CallGetAgent               = "GET_AGENT"
	CallGetResourceProviders   = "GET_RESOURCE_PROVIDERS"
	CallLaunchNestedContainer  = "LAUNCH_NESTED_CONTAINER"
	CallWaitNestedContainer    = "WAIT_NESTED_CONTAINER"
	CallKillNestedContainer    = "KILL_NESTED_CONTAINER"
	CallRemoveNestedContainer  = "REMOVE_NESTED_CONTAINER"
	CallLaunchNestedSession    = "LAUNCH_NESTED_CONTAINER_SESSION"
	CallAttachContainerInput   = "ATTACH_CONTAINER_INPUT"
	CallAttachContainerOutput  = "ATTACH_CONTAINER_OUTPUT"
	CallLaunchContainer        = "LAUNCH_CONTAINER"
	CallWaitContainer          = "WAIT_CONTAINER"
	CallKillContainer          = "KILL_CONTAINER"
	CallRemoveContainer        = "REMOVE_CONTAINER"
	CallPruneImages            = "PRUNE_IMAGES"
	CallAddResourceProvider    = "ADD_RESOURCE_PROVIDER_CONFIG"
	CallUpdateResourceProvider = "UPDATE_RESOURCE_PROVIDER_CONFIG"
	CallRemoveResourceProvider = "REMOVE_RESOURCE_PROVIDER_CONFIG"
	CallMarkResourceProvider   = "MARK_RESOURCE_PROVIDER_GONE"
)

// CallTypeNumbers maps call type names to their protobuf enum numbers;
// a JSON call may give the type either way. The table is built on first
// use, not at every start of the binary.
var CallTypeNumbers = sync.OnceValue(func() map[string]int {
	return map[string]int{
		CallUnknown: 0, CallGetHealth: 1, CallGetFlags: 2, CallGetVersion: 3, CallGetMetrics: 4,
		CallGetLoggingLevel: 5, CallSetLoggingLevel: 6, CallListFiles: 7, CallReadFile: 8,
		CallGetState: 9, CallGetContainers: 10, CallGetFrameworks: 11, CallGetExecutors: 12,
		CallGetTasks: 13, CallLaunchNestedContainer: 14, CallWaitNestedContainer: 15,
		CallKillNestedContainer: 16, CallLaunchNestedSession: 17, CallAttachContainerInput: 18,
		CallAttachContainerOutput: 19, CallGetAgent: 20, CallRemoveNestedContainer: 21,
		CallLaunchContainer: 22, CallWaitContainer: 23, CallKillContainer: 24, CallRemoveContainer: 25,
		CallGetResourceProviders: 26, CallAddResourceProvider: 27, CallUpdateResourceProvider: 28,
		CallRemoveResourceProvider: 29, CallPruneImages: 30, CallGetOperations: 31,
		CallMarkResourceProvider: 32,
	}
})

// Call is mesos.v1.agent.Call: the type plus the sub-message named after it.
type Call struct {
	Type            string             `json:"type"`
	GetMetrics      *GetMetricsCall    `json:"get_metrics,omitempty"`
	SetLoggingLevel *SetLoggingLevel   `json:"set_logging_level,omitempty"`
	ListFiles       *ListFilesCall     `json:"list_files,omitempty"`
	ReadFile        *ReadFileCall      `json:"read_file,omitempty"`
	GetContainers   *GetContainersCall `json:"get_containers,omitempty"`
	LaunchContainer *LaunchContainer   `json:"launch_container,omitempty"`
	WaitContainer   *ContainerCall     `json:"wait_container,omitempty"`
	KillContainer   *KillContainer     `json:"kill_container,omitempty"`
	RemoveContainer *ContainerCall     `json:"remove_container,omitempty"`
	// LaunchNestedContainer etc. (deprecated) reuse the same shapes.
	LaunchNestedContainer *LaunchContainer `json:"launch_nested_container,omitempty"`
	WaitNestedContainer   *ContainerCall   `json:"wait_nested_container,omitempty"`
	KillNestedContainer   *KillContainer   `json:"kill_nested_container,omitempty"`
	RemoveNestedContainer *ContainerCall   `json:"remove_nested_container,omitempty"`
	PruneImages           *PruneImages     `json:"prune_images,omitempty"`
}

// UnmarshalJSON accepts the type as a name or as its enum number.
func (c *Call) UnmarshalJSON(b []byte) error {
	type alias Call
	aux := struct {
		Type json.RawMessage `json:"type"`
		*alias
	}{alias: (*alias)(c)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	c.Type = ""
	if len(aux.Type) == 0 || string(aux.Type) == "null" {
		return nil
	}
	var name string
	if err := json.Unmarshal(aux.Type, &name); err == nil {
		c.Type = name
		return nil
	}
	var n int
	if err := json.Unmarshal(aux.Type, &n); err != nil {
		return fmt.Errorf("field 'type': expected a call type name or number, got %s", aux.Type)
	}
	for k, v := range CallTypeNumbers() {
		if v == n {
			c.Type = k
			return nil
		}
	}
	c.Type = CallUnknown
	return nil
}

// Duration is a protobuf DurationInfo ({"nanoseconds": N}).
type Duration struct {
	Nanoseconds int64 `json:"nanoseconds"`
}

// GetMetricsCall is Call.get_metrics.
type GetMetricsCall struct {
	Timeout *Duration `json:"timeout,omitempty"`
}

// SetLoggingLevel is Call.set_logging_level.
type SetLoggingLevel struct {
	Level    uint32   `json:"level"`
	Duration Duration `json:"duration"`
}

// ListFilesCall is Call.list_files.
type ListFilesCall struct {
	Path string `json:"path"`
}

// ReadFileCall is Call.read_file.
type ReadFileCall struct {
	Path   string  `json:"path"`
	Offset uint64  `json:"offset"`
	Length *uint64 `json:"length,omitempty"`
}

// GetContainersCall is Call.get_containers.
type GetContainersCall struct {
	ShowNested     bool `json:"show_nested,omitempty"`
	ShowStandalone bool `json:"show_standalone,omitempty"`
}

// LaunchContainer is Call.launch_container (and the deprecated
// launch_nested_container). Command, Container and Resources are kept as
// raw protobuf JSON (CommandInfo, ContainerInfo, [Resource]); parse
// Resources with mesos.ParseResources(string(raw), role), which accepts the
// JSON array form.
type LaunchContainer struct {
	ContainerID ContainerID      `json:"container_id"`
	Command     json.RawMessage  `json:"command,omitempty"`
	Resources   json.RawMessage  `json:"resources,omitempty"`
	Container   json.RawMessage  `json:"container,omitempty"`
	Limits      map[string]Float `json:"limits,omitempty"`
}

// ContainerCall is Call.wait_container / remove_container.
type ContainerCall struct {
	ContainerID ContainerID `json:"container_id"`
}

// KillContainer is Call.kill_container.
type KillContainer struct {
	ContainerID ContainerID `json:"container_id"`
	Signal      *int32      `json:"signal,omitempty"`
}

// PruneImages is Call.prune_images.
type PruneImages struct {
	ExcludedImages []json.RawMessage `json:"excluded_images,omitempty"`
}

// CommandInfo is the commonly used part of mesos.CommandInfo, for callers
// that want to decode LaunchContainer.Command.
type CommandInfo struct {
	Shell       *bool           `json:"shell,omitempty"`
	Value       string          `json:"value,omitempty"`
	Arguments   []string        `json:"arguments,omitempty"`
	User        string          `json:"user,omitempty"`
	Environment *Environment    `json:"environment,omitempty"`
	URIs        json.RawMessage `json:"uris,omitempty"`
}

// Environment is mesos.Environment.
type Environment struct {
	Variables []EnvironmentVariable `json:"variables"`
}

// EnvironmentVariable is one Environment.Variable (VALUE type only).
type EnvironmentVariable struct {
	Name  string `json:"name"`
	Type  string `json:"type,omitempty"`
	Value string `json:"value,omitempty"`
}

// Response is a v1 response envelope: {"type": T, "<t>": Body}. The
// httpapi server builds it from a call handler's result; clients decode
// into it and then decode Body by Type.
type Response struct {
	Type string
	Body any
}

// ResponseField is the JSON field holding the body of a response of type t
// ("GET_STATE" → "get_state").
func ResponseField(t string) string {
	b := []byte(t)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// MarshalJSON writes {"type":…,"<type>":…} (type first, as Mesos does).
func (r Response) MarshalJSON() ([]byte, error) {
	t, err := json.Marshal(r.Type)
	if err != nil {
		return nil, err
	}
	out := append([]byte(`{"type":`), t...)
	if r.Body != nil {
		body, err := json.Marshal(r.Body)
		if err != nil {
			return nil, err
		}
		out = append(out, `,"`...)
		out = append(out, ResponseField(r.Type)...)
		out = append(out, `":`...)
		out = append(out, body...)
	}
	return append(out, '}'), nil
}

// GetHealth is the GET_HEALTH response body.
type GetHealth struct {
	Healthy bool `json:"healthy"`
}

// GetFlags is the GET_FLAGS response body (a list, not a map).
type GetFlags struct {
	Flags []Flag `json:"flags"`
}

// Flag is one name/value pair.
type Flag struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// GetVersion is the GET_VERSION response body.
type GetVersion struct {
	VersionInfo VersionInfo `json:"version_info"`
}

// VersionInfo is mesos.VersionInfo (build_time is a double here).
type VersionInfo struct {
	Version   string `json:"version"`
	BuildDate string `json:"build_date,omitempty"`
	BuildTime Float  `json:"build_time"`
	BuildUser string `json:"build_user,omitempty"`
	GitSHA    string `json:"git_sha,omitempty"`
	GitBranch string `json:"git_branch,omitempty"`
	GitTag    string `json:"git_tag,omitempty"`
}

// GetMetrics is the GET_METRICS response body.
type GetMetrics struct {
	Metrics []Metric `json:"metrics"`
}

// Metric is one name/value metric.
type Metric struct {
	Name  string `json:"name"`
	Value Float  `json:"value"`
}

// GetLoggingLevel is the GET_LOGGING_LEVEL response body: glog's verbose
// level.
type GetLoggingLevel struct {
	Level uint32 `json:"level"`
}

// ListFilesResponse is the LIST_FILES response body (an empty directory
// has no file_infos, as in Mesos).
type ListFilesResponse struct {
	FileInfos []FileInfo `json:"file_infos,omitempty"`
}

// FileInfo is mesos.v1.FileInfo: Mode is the raw st_mode, UID and GID are
// names, Mtime whole seconds in nanoseconds.
type FileInfo struct {
	Path  string    `json:"path"`
	Nlink int32     `json:"nlink"`
	Size  uint64    `json:"size"`
	Mtime *Duration `json:"mtime,omitempty"`
	Mode  uint32    `json:"mode"`
	UID   string    `json:"uid"`
	GID   string    `json:"gid"`
}

// ReadFileResponse is the READ_FILE response body: the file's whole size
// and the bytes read (base64 in JSON).
type ReadFileResponse struct {
	Size uint64 `json:"size"`
	Data []byte `json:"data"`
}

// GetState is the GET_STATE response body.
type GetState struct {
	GetTasks      GetTasks      `json:"get_tasks"`
	GetExecutors  GetExecutors  `json:"get_executors"`
	GetFrameworks GetFrameworks `json:"get_frameworks"`
}

// GetContainers is the GET_CONTAINERS response body.
type GetContainers struct {
	Containers []V1Container `json:"containers"`
}

// V1Container is one GET_CONTAINERS entry.
type V1Container struct {
	FrameworkID        *ID                 `json:"framework_id,omitempty"`
	ExecutorID         *ID                 `json:"executor_id,omitempty"`
	ExecutorName       string              `json:"executor_name,omitempty"`
	ContainerID        ContainerID         `json:"container_id"`
	ContainerStatus    *ContainerStatus    `json:"container_status,omitempty"`
	ResourceStatistics *ResourceStatistics `json:"resource_statistics,omitempty"`
}

// V1 returns the GET_CONTAINERS form of c.
func (c Container) V1() V1Container {
	v := V1Container{ExecutorName: c.ExecutorName, ContainerID: c.ContainerID,
		ContainerStatus: c.Status, ResourceStatistics: c.Statistics}
	if c.FrameworkID != "" {
		v.FrameworkID = &ID{c.FrameworkID}
	}
	if c.ExecutorID != "" {
		v.ExecutorID = &ID{c.ExecutorID}
	}
	return v
}

// GetFrameworks is the GET_FRAMEWORKS response body.
type GetFrameworks struct {
	Frameworks          []FrameworkEntry `json:"frameworks"`
	CompletedFrameworks []FrameworkEntry `json:"completed_frameworks"`
}

// FrameworkEntry wraps a FrameworkInfo.
type FrameworkEntry struct {
	FrameworkInfo FrameworkInfo `json:"framework_info"`
}

// FrameworkInfo is mesos.v1.FrameworkInfo.
type FrameworkInfo struct {
	User            string       `json:"user"`
	Name            string       `json:"name"`
	ID              *ID          `json:"id,omitempty"`
	FailoverTimeout Float        `json:"failover_timeout"`
	Checkpoint      bool         `json:"checkpoint"`
	Role            string       `json:"role,omitempty"`
	Roles           []string     `json:"roles,omitempty"`
	Hostname        string       `json:"hostname,omitempty"`
	Principal       string       `json:"principal,omitempty"`
	WebUIURL        string       `json:"webui_url,omitempty"`
	Capabilities    []Capability `json:"capabilities,omitempty"`
}

// Capability is {"type": NAME}.
type Capability struct {
	Type string `json:"type"`
}

// Info returns the v1 FrameworkInfo of f.
func (f Framework) Info() FrameworkInfo {
	fi := FrameworkInfo{User: f.User, Name: f.Name, FailoverTimeout: f.FailoverTimeout,
		Checkpoint: f.Checkpoint, Role: f.Role, Roles: f.Roles, Hostname: f.Hostname,
		Principal: f.Principal, WebUIURL: f.WebUIURL}
	if f.ID != "" {
		fi.ID = &ID{f.ID}
	}
	for _, c := range f.Capabilities {
		fi.Capabilities = append(fi.Capabilities, Capability{c})
	}
	return fi
}

// GetExecutors is the GET_EXECUTORS response body.
type GetExecutors struct {
	Executors          []ExecutorEntry `json:"executors"`
	CompletedExecutors []ExecutorEntry `json:"completed_executors"`
}

// ExecutorEntry wraps an ExecutorInfo.
type ExecutorEntry struct {
	ExecutorInfo ExecutorInfo `json:"executor_info"`
}

// ExecutorInfo is mesos.v1.ExecutorInfo.
type ExecutorInfo struct {
	Type        string          `json:"type,omitempty"`
	ExecutorID  ID              `json:"executor_id"`
	FrameworkID *ID             `json:"framework_id,omitempty"`
	Command     json.RawMessage `json:"command,omitempty"`
	Resources   json.RawMessage `json:"resources,omitempty"`
	Name        string          `json:"name,omitempty"`
	Source      string          `json:"source,omitempty"`
	Labels      *Labels         `json:"labels,omitempty"`
}

// Info returns the v1 ExecutorInfo of e.
func (e Executor) Info() ExecutorInfo {
	ei := ExecutorInfo{Type: e.Type, ExecutorID: ID{e.ID}, Command: e.Command,
		Resources: e.ResourcesFull, Name: e.Name, Source: e.Source, Labels: e.Labels}
	if e.FrameworkID != "" {
		ei.FrameworkID = &ID{e.FrameworkID}
	}
	return ei
}

// GetTasks is the GET_TASKS response body.
type GetTasks struct {
	PendingTasks    []V1Task `json:"pending_tasks"`
	QueuedTasks     []V1Task `json:"queued_tasks"`
	LaunchedTasks   []V1Task `json:"launched_tasks"`
	TerminatedTasks []V1Task `json:"terminated_tasks"`
	CompletedTasks  []V1Task `json:"completed_tasks"`
}

// V1Task is mesos.v1.Task.
type V1Task struct {
	Name              string          `json:"name"`
	TaskID            ID              `json:"task_id"`
	FrameworkID       ID              `json:"framework_id"`
	ExecutorID        *ID             `json:"executor_id,omitempty"`
	AgentID           ID              `json:"agent_id"`
	State             string          `json:"state"`
	Resources         json.RawMessage `json:"resources"`
	Statuses          []TaskStatus    `json:"statuses"`
	StatusUpdateState string          `json:"status_update_state,omitempty"`
	StatusUpdateUUID  string          `json:"status_update_uuid,omitempty"`
	Labels            *Labels         `json:"labels,omitempty"`
	Discovery         json.RawMessage `json:"discovery,omitempty"`
	Container         json.RawMessage `json:"container,omitempty"`
	HealthCheck       json.RawMessage `json:"health_check,omitempty"`
	KillPolicy        json.RawMessage `json:"kill_policy,omitempty"`
	User              string          `json:"user,omitempty"`
	Limits            json.RawMessage `json:"limits,omitempty"`
}

// TaskStatus is mesos.v1.TaskStatus.
type TaskStatus struct {
	TaskID          ID               `json:"task_id"`
	State           string           `json:"state"`
	Message         string           `json:"message,omitempty"`
	Source          string           `json:"source,omitempty"`
	Reason          string           `json:"reason,omitempty"`
	Data            string           `json:"data,omitempty"`
	AgentID         *ID              `json:"agent_id,omitempty"`
	ExecutorID      *ID              `json:"executor_id,omitempty"`
	Timestamp       Float            `json:"timestamp"`
	UUID            string           `json:"uuid,omitempty"`
	Healthy         *bool            `json:"healthy,omitempty"`
	Labels          *Labels          `json:"labels,omitempty"`
	ContainerStatus *ContainerStatus `json:"container_status,omitempty"`
}

// V1 returns the v1 Task of t.
func (t Task) V1() V1Task {
	v := V1Task{Name: t.Name, TaskID: ID{t.ID}, FrameworkID: ID{t.FrameworkID},
		AgentID: ID{t.SlaveID}, State: t.State, Resources: t.ResourcesFull,
		StatusUpdateState: t.StatusUpdateState, StatusUpdateUUID: t.StatusUpdateUUID,
		Labels: t.Labels, Discovery: t.Discovery, Container: t.Container,
		HealthCheck: t.HealthCheck, KillPolicy: t.KillPolicy, User: t.User, Limits: t.Limits,
		Statuses: []TaskStatus{}}
	if len(v.Resources) == 0 {
		v.Resources = json.RawMessage("[]")
	}
	if t.ExecutorID != "" {
		v.ExecutorID = &ID{t.ExecutorID}
	}
	for _, s := range t.Statuses {
		v.Statuses = append(v.Statuses, s.V1(t))
	}
	return v
}

// V1 returns the v1 TaskStatus of s, filling IDs from its task.
func (s Status) V1(t Task) TaskStatus {
	ts := TaskStatus{TaskID: ID{t.ID}, State: s.State, Message: s.Message, Source: s.Source,
		Reason: s.Reason, Data: s.Data, Timestamp: s.Timestamp, UUID: s.UUID,
		Healthy: s.Healthy, Labels: s.Labels, ContainerStatus: s.ContainerStatus}
	if s.TaskID != "" {
		ts.TaskID = ID{s.TaskID}
	}
	agent := s.AgentID
	if agent == "" {
		agent = t.SlaveID
	}
	if agent != "" {
		ts.AgentID = &ID{agent}
	}
	if s.ExecutorID != "" {
		ts.ExecutorID = &ID{s.ExecutorID}
	}
	return ts
}

// GetAgent is the GET_AGENT response body.
type GetAgent struct {
	AgentInfo AgentInfo `json:"agent_info"`
}

// AgentInfo is mesos.v1.AgentInfo.
type AgentInfo struct {
	Hostname     string          `json:"hostname"`
	Port         int             `json:"port"`
	Resources    json.RawMessage `json:"resources"`
	Attributes   json.RawMessage `json:"attributes"`
	ID           *ID             `json:"id,omitempty"`
	Domain       json.RawMessage `json:"domain,omitempty"`
	Capabilities []Capability    `json:"capabilities,omitempty"`
}

// WaitContainerResponse is the WAIT_CONTAINER response body. ExitStatus
// is the raw wait(2) status (0, 9 for SIGKILL, 256 for exit 1).
type WaitContainerResponse struct {
	ExitStatus *int32          `json:"exit_status,omitempty"`
	State      string          `json:"state,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Limitation json.RawMessage `json:"limitation,omitempty"`
	Message    string          `json:"message,omitempty"`
}

// StateFromFrameworks splits active/completed frameworks into the v1
// GET_FRAMEWORKS, GET_EXECUTORS and GET_TASKS bodies.
func StateFromFrameworks(active, completed []Framework) GetState {
	st := GetState{
		GetTasks: GetTasks{PendingTasks: []V1Task{}, QueuedTasks: []V1Task{},
			LaunchedTasks: []V1Task{}, TerminatedTasks: []V1Task{}, CompletedTasks: []V1Task{}},
		GetExecutors:  GetExecutors{Executors: []ExecutorEntry{}, CompletedExecutors: []ExecutorEntry{}},
		GetFrameworks: GetFrameworks{Frameworks: []FrameworkEntry{}, CompletedFrameworks: []FrameworkEntry{}},
	}
	add := func(f Framework, frameworkDone bool) {
		for _, e := range f.Executors {
			if frameworkDone {
				st.GetExecutors.CompletedExecutors = append(st.GetExecutors.CompletedExecutors, ExecutorEntry{e.Info()})
			} else {
				st.GetExecutors.Executors = append(st.GetExecutors.Executors, ExecutorEntry{e.Info()})
			}
			for _, qt := range e.QueuedTasks {
				st.GetTasks.QueuedTasks = append(st.GetTasks.QueuedTasks, V1Task{Name: qt.Name,
					TaskID: ID{qt.ID}, FrameworkID: ID{f.ID}, AgentID: ID{qt.SlaveID},
					State: "TASK_STAGING", Resources: json.RawMessage("[]"), Statuses: []TaskStatus{}})
			}
			for _, t := range e.Tasks {
				if t.Terminated {
					st.GetTasks.TerminatedTasks = append(st.GetTasks.TerminatedTasks, t.V1())
				} else {
					st.GetTasks.LaunchedTasks = append(st.GetTasks.LaunchedTasks, t.V1())
				}
			}
			for _, t := range e.CompletedTasks {
				if t.Terminated {
					st.GetTasks.TerminatedTasks = append(st.GetTasks.TerminatedTasks, t.V1())
				} else {
					st.GetTasks.CompletedTasks = append(st.GetTasks.CompletedTasks, t.V1())
				}
			}
		}
		for _, e := range f.CompletedExecutors {
			st.GetExecutors.CompletedExecutors = append(st.GetExecutors.CompletedExecutors, ExecutorEntry{e.Info()})
			for _, t := range append(append([]Task{}, e.Tasks...), e.CompletedTasks...) {
				st.GetTasks.CompletedTasks = append(st.GetTasks.CompletedTasks, t.V1())
			}
		}
	}
	for _, f := range active {
		st.GetFrameworks.Frameworks = append(st.GetFrameworks.Frameworks, FrameworkEntry{f.Info()})
		add(f, false)
	}
	for _, f := range completed {
		st.GetFrameworks.CompletedFrameworks = append(st.GetFrameworks.CompletedFrameworks, FrameworkEntry{f.Info()})
		add(f, true)
	}
	return st
}
