package api

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeCall: any input either decodes into a call that validates, or
// is refused with a *CallError; nothing panics; an accepted call survives
// a round trip through JSON unchanged in type and validity.
func FuzzDecodeCall(f *testing.F) {
	for _, seed := range []string{`{"type":"GET_HEALTH"}`, `{"type":9}`, `{"type":"READ_FILE","read_file":{"path":"/x","offset":3,"length":4}}`,
		`{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"c"},"command":{"value":"sleep 1","user":"u"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}]}}`,
		`{"type":"KILL_NESTED_CONTAINER","kill_nested_container":{"container_id":{"value":"c","parent":{"value":"p"}},"signal":15}}`,
		`{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"c"}}}`, `{"type":"SET_LOGGING_LEVEL","set_logging_level":{"level":1,"duration":{"nanoseconds":1}}}`,
		`{"type":null}`, `{"type":-1}`, `{}`, `[`, "\x00"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		call, err := DecodeCall(body)
		if err != nil {
			var ce *CallError
			if !errors.As(err, &ce) || ce.Message == "" {
				t.Fatalf("%q: error %T %v", body, err, err)
			}
			return
		}
		if call.Type == "" || call.Validate() != nil {
			t.Fatalf("%q: accepted an invalid call %+v", body, call)
		}
		again, err := json.Marshal(call)
		if err != nil {
			t.Fatalf("%q: re-encode: %v", body, err)
		}
		back, err := DecodeCall(again)
		if err != nil || back.Type != call.Type {
			t.Fatalf("%q: round trip %s: %v %+v", body, again, err, back)
		}
	})
}
