package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxContainerIDLength is Mesos' limit on ContainerID.value.
const MaxContainerIDLength = 242

// CallError is a v1 call body that cannot be accepted: the HTTP API
// answers 400 with its message.
type CallError struct{ Message string }

func (e *CallError) Error() string { return e.Message }

// DecodeCall parses a v1 operator Call (JSON) and validates it as Mesos'
// agent does (src/slave/validation.cpp): a type, the sub-message the type
// needs, valid container IDs. Every problem is a *CallError naming the bad
// part; it never panics (FuzzDecodeCall).
func DecodeCall(body []byte) (*Call, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, &CallError{"Failed to parse body into Call protobuf: empty body"}
	}
	if trimmed[0] != '{' {
		return nil, &CallError{"Failed to parse body into Call protobuf: expected a JSON object"}
	}
	var call Call
	if err := json.Unmarshal(body, &call); err != nil {
		return nil, &CallError{"Failed to parse body into Call protobuf: " + describeJSONError(err)}
	}
	if err := call.Validate(); err != nil {
		return nil, &CallError{"Failed to validate agent::Call: " + err.Error()}
	}
	return &call, nil
}

func describeJSONError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("JSON syntax error at byte %d: %v", se.Offset, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field '%s' has the wrong type: expected %v, got JSON %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}

// Validate checks what Mesos' agent checks before it handles a call.
func (c *Call) Validate() error {
	if c.Type == "" {
		return errors.New("Expecting 'type' to be present")
	}
	need := func(present bool, field string) error {
		if !present {
			return fmt.Errorf("Expecting '%s' to be present", field)
		}
		return nil
	}
	container := func(field string, id ContainerID, nested bool) error {
		if err := ValidateContainerID(id); err != nil {
			return fmt.Errorf("'%s.container_id' is invalid: %v", field, err)
		}
		if nested && id.Parent == nil {
			return fmt.Errorf("Expecting '%s.container_id.parent' to be present", field)
		}
		return nil
	}
	switch c.Type {
	case CallGetMetrics:
		return need(c.GetMetrics != nil, "get_metrics")
	case CallSetLoggingLevel:
		return need(c.SetLoggingLevel != nil, "set_logging_level")
	case CallListFiles:
		return need(c.ListFiles != nil, "list_files")
	case CallReadFile:
		return need(c.ReadFile != nil, "read_file")
	case CallLaunchContainer, CallLaunchNestedContainer:
		field, lc := "launch_container", c.LaunchContainer
		if c.Type == CallLaunchNestedContainer {
			field, lc = "launch_nested_container", c.LaunchNestedContainer
		}
		if err := need(lc != nil, field); err != nil {
			return err
		}
		return container(field, lc.ContainerID, c.Type == CallLaunchNestedContainer)
	case CallWaitContainer, CallWaitNestedContainer, CallRemoveContainer, CallRemoveNestedContainer:
		var cc *ContainerCall
		switch c.Type {
		case CallWaitContainer:
			cc = c.WaitContainer
		case CallWaitNestedContainer:
			cc = c.WaitNestedContainer
		case CallRemoveContainer:
			cc = c.RemoveContainer
		default:
			cc = c.RemoveNestedContainer
		}
		field := strings.ToLower(c.Type)
		if err := need(cc != nil, field); err != nil {
			return err
		}
		return container(field, cc.ContainerID, strings.Contains(field, "nested"))
	case CallKillContainer, CallKillNestedContainer:
		field, kc := "kill_container", c.KillContainer
		if c.Type == CallKillNestedContainer {
			field, kc = "kill_nested_container", c.KillNestedContainer
		}
		if err := need(kc != nil, field); err != nil {
			return err
		}
		if err := container(field, kc.ContainerID, c.Type == CallKillNestedContainer); err != nil {
			return err
		}
		if kc.Signal != nil && (*kc.Signal < 1 || *kc.Signal > 64) {
			return fmt.Errorf("'%s.signal' is invalid: %d is not a signal number (1-64)", field, *kc.Signal)
		}
	}
	return nil
}

// ValidateContainerID applies Mesos' ContainerID rules: the common ID rules
// (not empty, at most 255 bytes, not "." or "..", no control characters,
// no slashes), at most MaxContainerIDLength bytes, no '.' or ' ', and a
// valid parent.
func ValidateContainerID(id ContainerID) error {
	v := id.Value
	switch {
	case v == "":
		return errors.New("ID must not be empty")
	case len(v) > 255:
		return errors.New("ID must not be greater than 255 characters")
	case v == "." || v == "..":
		return fmt.Errorf("'%s' is disallowed", v)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return fmt.Errorf("'%s' contains invalid characters", v)
		}
	}
	if len(v) > MaxContainerIDLength {
		return fmt.Errorf("'ContainerID.value' '%s' exceeds the maximum length (%d)", v, MaxContainerIDLength)
	}
	if strings.ContainsAny(v, ". ") {
		return fmt.Errorf("'ContainerID.value' '%s' contains invalid characters", v)
	}
	if id.Parent != nil {
		if err := ValidateContainerID(*id.Parent); err != nil {
			return fmt.Errorf("'ContainerID.parent' is invalid: %v", err)
		}
	}
	return nil
}
