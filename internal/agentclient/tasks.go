package agentclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// TaskError is a non-2xx answer of agentd's task API (/mesosctl/v1/...),
// decoded from its JSON body. It wraps the HTTPError so errors.As finds both.
type TaskError struct {
	Status  int    // HTTP status
	Code    string // INSUFFICIENT_RESOURCES, TASK_EXISTS, NOT_FOUND, BAD_REQUEST, RECOVERING, or ""
	Message string
	// Need and Free are set with INSUFFICIENT_RESOURCES: what the task
	// asked for (executor overhead included) and what the agent had free.
	Need, Free *api.TaskResources
	// NoAPI is set when the answer is not the task API's JSON error: the
	// agent has no task API (a real Mesos agent answers 404 in plain text).
	NoAPI bool
	HTTP  *HTTPError
}

func (e *TaskError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return e.HTTP.Error()
}

func (e *TaskError) Unwrap() error { return e.HTTP }

// Sentinels for errors.Is on task API errors.
var (
	// ErrNoTaskAPI: the agent does not serve the task API (a real Mesos
	// agent); its tasks are visible in /state only.
	ErrNoTaskAPI = errors.New("no task API")
	// ErrInsufficient: the task does not fit the agent's free resources.
	ErrInsufficient = errors.New("insufficient resources")
	// ErrNotFound: the agent has no such task (or no task API: a real
	// Mesos agent answers 404 for /mesosctl/v1/...).
	ErrNotFound = errors.New("not found")
	// ErrTaskExists: the task ID is in use on that agent.
	ErrTaskExists = errors.New("task ID in use")
)

// Is matches the sentinels above.
func (e *TaskError) Is(target error) bool {
	switch target {
	case ErrInsufficient:
		return e.Code == "INSUFFICIENT_RESOURCES"
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrTaskExists:
		return e.Code == "TASK_EXISTS"
	case ErrNoTaskAPI:
		return e.NoAPI && e.Status == http.StatusNotFound
	}
	return false
}

// taskErr turns an HTTPError from the task API into a *TaskError (other
// errors pass through).
func taskErr(err error) error {
	var he *HTTPError
	if !errors.As(err, &he) {
		return err
	}
	te := &TaskError{Status: he.Status, HTTP: he}
	var body api.TaskError
	if json.Unmarshal([]byte(he.Body), &body) == nil && body.Error != "" {
		te.Code, te.Message, te.Need, te.Free = body.Code, body.Error, body.Need, body.Free
	} else {
		te.NoAPI = true
	}
	if te.Code == "" && he.Status == http.StatusNotFound {
		te.Code = "NOT_FOUND"
	}
	return te
}

func (c *Client) taskJSON(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	hdr := map[string]string{"Accept": "application/json"}
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
		hdr["Content-Type"] = "application/json"
	}
	b, _, err := c.do(ctx, method, path, body, hdr)
	if err != nil {
		return taskErr(err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s%s: answer is not the expected JSON: %v", c.BaseURL, path, err)
	}
	return nil
}

func taskPath(id string) string { return api.TaskPath + "/" + url.PathEscape(id) }

// LaunchTask submits a task (POST /mesosctl/v1/tasks).
func (c *Client) LaunchTask(ctx context.Context, spec api.TaskSpec) (*api.TaskInfo, error) {
	var ti api.TaskInfo
	if err := c.taskJSON(ctx, http.MethodPost, api.TaskPath, spec, &ti); err != nil {
		return nil, err
	}
	return &ti, nil
}

// Task returns one task.
func (c *Client) Task(ctx context.Context, id string) (*api.TaskInfo, error) {
	var ti api.TaskInfo
	if err := c.taskJSON(ctx, http.MethodGet, taskPath(id), nil, &ti); err != nil {
		return nil, err
	}
	return &ti, nil
}

// Tasks lists every task the agent knows, oldest first.
func (c *Client) Tasks(ctx context.Context) ([]api.TaskInfo, error) {
	var tl api.TaskList
	if err := c.taskJSON(ctx, http.MethodGet, api.TaskPath, nil, &tl); err != nil {
		return nil, err
	}
	return tl.Tasks, nil
}

// WaitTask long-polls a task: it returns as soon as the task has more than
// after statuses, is terminal, or timeout passes (then the task as it is).
// The HTTP request may take timeout plus the client's own Timeout.
func (c *Client) WaitTask(ctx context.Context, id string, after int, timeout time.Duration) (*api.TaskInfo, error) {
	if _, ok := ctx.Deadline(); !ok {
		t := c.Timeout
		if t == 0 {
			t = DefaultTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout+t)
		defer cancel()
	}
	q := url.Values{"after": {strconv.Itoa(after)}, "timeout": {timeout.String()}}
	var ti api.TaskInfo
	if err := c.taskJSON(ctx, http.MethodGet, taskPath(id)+"?"+q.Encode(), nil, &ti); err != nil {
		return nil, err
	}
	return &ti, nil
}

// KillTask asks the agent to kill a task (SIGTERM, grace period, SIGKILL);
// it returns at once with the task as it is.
func (c *Client) KillTask(ctx context.Context, id string) (*api.TaskInfo, error) {
	var ti api.TaskInfo
	if err := c.taskJSON(ctx, http.MethodPost, taskPath(id)+"/kill", nil, &ti); err != nil {
		return nil, err
	}
	return &ti, nil
}

// Processes returns agentd's process tree. A real Mesos agent has no such
// endpoint: the error then matches ErrNotFound.
func (c *Client) Processes(ctx context.Context) (*api.ProcessTree, error) {
	var pt api.ProcessTree
	if err := c.taskJSON(ctx, http.MethodGet, api.ProcessesPath, nil, &pt); err != nil {
		return nil, err
	}
	return &pt, nil
}

// FileChunk is a /files/read answer.
type FileChunk struct {
	Data   string `json:"data"`
	Offset int64  `json:"offset"`
}

// ReadFile reads up to length bytes of a sandbox file from offset
// (/files/read). offset -1 returns no data and the file's size as Offset.
// length -1 lets the agent choose (Mesos: 16 pages). A missing file
// matches ErrNotFound.
func (c *Client) ReadFile(ctx context.Context, path string, offset, length int64) (*FileChunk, error) {
	q := url.Values{"path": {path}, "offset": {strconv.FormatInt(offset, 10)}, "length": {strconv.FormatInt(length, 10)}}
	var fc FileChunk
	if err := c.taskJSON(ctx, http.MethodGet, "/files/read?"+q.Encode(), nil, &fc); err != nil {
		return nil, err
	}
	return &fc, nil
}
