package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServeAPI posts arbitrary bodies to /api/v1: the server never panics
// and never answers 500; a refusal is 400, 404, 413 or 501.
func FuzzServeAPI(f *testing.F) {
	for _, seed := range []string{`{"type":"GET_HEALTH"}`, `{"type":1}`, `{"type":"GET_STATE"}`,
		`{"type":"GET_CONTAINERS","get_containers":{"show_nested":true}}`,
		`{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"c"},"command":{"value":"true"}}}`,
		`{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"c","parent":{"value":"p"}},"signal":9}}`,
		`{"type":"GET_METRICS","get_metrics":{"timeout":{"nanoseconds":5}}}`, `{`, `[]`, `null`, ``} {
		f.Add(seed)
	}
	s := New(Config{Source: fakeSource{}, MaxBody: 1 << 16})
	s.MarkRecovered()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusAccepted, http.StatusBadRequest, http.StatusNotFound,
			http.StatusRequestEntityTooLarge, http.StatusNotImplemented:
		default:
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body)
		}
	})
}
