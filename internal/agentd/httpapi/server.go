// Package httpapi is the agent's HTTP surface: the v0 endpoints (/state,
// /flags, /health, /version, /metrics/snapshot, /containers), the v1
// operator API (POST /api/v1), a Prometheus /metrics endpoint, Mesos-style
// routing (/slave(1)/ prefix, trailing-slash stripping, ?jsonp=) and HTTP
// basic authentication with the mesos-agent-readonly / -readwrite realms.
//
// It is also the HTTP adapter of the task runtime: mesosctl's task API
// (/mesosctl/v1/tasks, /mesosctl/v1/processes), the v1 container calls
// (LAUNCH/WAIT/KILL/REMOVE_CONTAINER) and /files, which call the runtime
// through the narrow interface Runtime and turn its errors into status
// codes. The agent provides its own data through Source.
package httpapi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/api/v1pb"
)

// Source is what the server reads from the agent to answer requests. All
// methods must be safe for concurrent use.
type Source interface {
	State() api.State                                // the full v0 /state document
	Flags() map[string]string                        // every flag with a value, as strings
	Version() api.Version                            // /version
	Metrics() map[string]float64                     // /metrics/snapshot keys
	Containers() []api.Container                     // all containers (the server filters)
	Frameworks() (active, completed []api.Framework) // for the v1 GET_* calls
	AgentInfo() api.AgentInfo                        // GET_AGENT
	Monitor() []api.MonitorStatistics                // /monitor/statistics
}

// CallHandler answers one v1 call type. A nil result with a nil error is
// 200 with an empty body; a *StatusError (see CodedError) picks the status.
type CallHandler func(ctx context.Context, call *api.Call) (any, error)

// StatusError is an error carrying the HTTP status it maps to.
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string { return e.Message }

// CodedError returns an error that the server answers with status and msg
// as a text/plain body (e.g. CodedError(404, "Container X cannot be found")).
func CodedError(status int, msg string) error { return &StatusError{Status: status, Message: msg} }

// Realms of Mesos' agent HTTP authentication.
const (
	RealmReadonly  = "mesos-agent-readonly"
	RealmReadwrite = "mesos-agent-readwrite"
)

// DefaultMaxBody is the largest request body the v1 API reads.
const DefaultMaxBody = 4 << 20

// Config configures a Server.
type Config struct {
	Source Source
	// Credentials maps principal → secret (from --http_credentials).
	Credentials map[string]string
	// AuthenticateReadonly / AuthenticateReadwrite mirror
	// --authenticate_http_readonly / --authenticate_http_readwrite.
	AuthenticateReadonly  bool
	AuthenticateReadwrite bool
	// MaxBody limits v1 request bodies (DefaultMaxBody when 0).
	MaxBody int64
	Logger  *slog.Logger
}

// Server is the agent's HTTP handler.
type Server struct {
	cfg       Config
	log       *slog.Logger
	recovered atomic.Bool
	mu        sync.RWMutex
	calls     map[string]CallHandler
	extra     *http.ServeMux
	extraSet  bool
	routes    map[string]route
	// monitorMu and monitorNext pace /monitor/statistics at 2 requests a
	// second, as Mesos' rate limiter does (requests wait their turn).
	monitorMu   sync.Mutex
	monitorNext time.Time
}

type route struct {
	realm   string // "" = no authentication
	handler http.HandlerFunc
	// duringRecovery: served while the agent is still recovering.
	duringRecovery bool
}

// New returns a server with every built-in endpoint and v1 call registered.
// It answers 503 on /state and /api/v1 until MarkRecovered is called.
func New(cfg Config) *Server {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, calls: map[string]CallHandler{}, extra: http.NewServeMux()}
	s.routes = map[string]route{
		"/state":              {RealmReadonly, s.serveState, false},
		"/state.json":         {RealmReadonly, s.serveState, false},
		"/flags":              {RealmReadonly, s.serveFlags, true},
		"/health":             {"", s.serveHealth, true},
		"/version":            {"", s.serveVersion, true},
		"/metrics/snapshot":   {RealmReadonly, s.serveMetricsSnapshot, true},
		"/metrics":            {RealmReadonly, s.servePrometheus, true},
		"/containers":         {RealmReadonly, s.serveContainers, true},
		"/monitor/statistics": {RealmReadonly, s.serveMonitor, false},
		"/api/v1":             {RealmReadwrite, s.serveAPI, false},
	}
	s.registerBuiltinCalls()
	return s
}

// MarkRecovered ends the recovery phase: /state and /api/v1 start answering.
func (s *Server) MarkRecovered() { s.recovered.Store(true) }

// HandleCall registers (or replaces) the handler of a v1 call type.
func (s *Server) HandleCall(callType string, h CallHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[callType] = h
}

// Handle adds a route (net/http ServeMux pattern, e.g. "/files/read" or
// "POST /mesosctl/v1/tasks/{id}/kill"). GET and HEAD requests are in the
// readonly realm, every other method in the readwrite realm; like /state,
// added routes answer 503 until the agent has recovered. Built-in
// endpoints take precedence.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra.Handle(pattern, h)
	s.extraSet = true
}

var delegatePrefix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/slave\(\d+\)`) })

// ServeHTTP implements http.Handler with Mesos' routing rules. No request
// body may be larger than MaxBody (handlers may allow less).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	path := r.URL.Path
	if loc := delegatePrefix().FindStringIndex(path); loc != nil {
		path = path[loc[1]:]
		if path == "" {
			path = "/"
		}
	}
	for len(path) > 1 && strings.HasSuffix(path, "/") {
		path = strings.TrimSuffix(path, "/")
	}
	rt, ok := s.routes[path]
	if !ok {
		s.mu.RLock()
		extraSet := s.extraSet
		s.mu.RUnlock()
		if extraSet {
			r2 := r.Clone(r.Context())
			r2.URL.Path = path
			_, pattern := s.extra.Handler(r2)
			if pattern != "" {
				realm, required := RealmReadonly, s.cfg.AuthenticateReadonly
				if r.Method != http.MethodGet && r.Method != http.MethodHead {
					realm, required = RealmReadwrite, s.cfg.AuthenticateReadwrite
				}
				if !s.authenticate(w, r, realm, required) {
					return
				}
				if !s.recovered.Load() {
					http.Error(w, "Agent has not finished recovery", http.StatusServiceUnavailable)
					return
				}
				s.extra.ServeHTTP(w, r2) // (again) to set the request's path values
				return
			}
		}
		http.Error(w, fmt.Sprintf("No such endpoint %q", r.URL.Path), http.StatusNotFound)
		return
	}
	if rt.realm != "" {
		required := s.cfg.AuthenticateReadonly
		if rt.realm == RealmReadwrite {
			required = s.cfg.AuthenticateReadwrite
		}
		if !s.authenticate(w, r, rt.realm, required) {
			return
		}
	}
	if !rt.duringRecovery && !s.recovered.Load() {
		http.Error(w, "Agent has not finished recovery", http.StatusServiceUnavailable)
		return
	}
	rt.handler(w, r)
}

// authenticate enforces HTTP basic auth for realm when required. It writes
// the 401 itself and returns false when the request may not proceed.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, realm string, required bool) bool {
	if !required {
		return true
	}
	user, pass, ok := r.BasicAuth()
	if ok {
		if secret, known := s.cfg.Credentials[user]; known &&
			subtle.ConstantTimeCompare([]byte(secret), []byte(pass)) == 1 {
			return true
		}
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", realm))
	msg := "Authentication required: this endpoint is in realm '" + realm +
		"'; send HTTP basic credentials of a principal listed in --http_credentials"
	if ok {
		msg = "Authentication failed: unknown principal or wrong secret for realm '" + realm + "'"
	}
	http.Error(w, msg, http.StatusUnauthorized)
	s.log.Warn("HTTP authentication failed", "path", r.URL.Path, "realm", realm, "remote", r.RemoteAddr)
	return false
}

// ReadBody reads a request body of at most limit bytes. On error it
// returns the status to answer: 413 for a body over the limit (with the
// limit in the message), 400 for one that cannot be read.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("Request body is larger than %d bytes", limit)
		}
		return nil, http.StatusBadRequest, fmt.Errorf("Failed to read request body: %v", err)
	}
	return body, 0, nil
}

// jsonpCallback is what ?jsonp= may name: a JavaScript identifier, or a
// dotted path of them (jQuery.cb), at most 128 bytes.
var jsonpCallback = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)
})

// ValidJSONPCallback reports whether cb may be used as a jsonp callback.
func ValidJSONPCallback(cb string) bool {
	return len(cb) <= 128 && jsonpCallback().MatchString(cb)
}

// WriteJSON writes v as JSON, or, for a GET with ?jsonp=<callback>, as
// JavaScript calling the callback. A callback that is not a JavaScript
// identifier is refused with 400: the response is never script chosen by
// the caller.
func WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	if !jsonpAllowed(w, r) {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "Failed to serialize response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSONBytes(w, r, status, b)
}

// jsonpAllowed answers 400 and reports false when the request names a
// ?jsonp= callback that is not a JavaScript identifier.
func jsonpAllowed(w http.ResponseWriter, r *http.Request) bool {
	cb := r.URL.Query().Get("jsonp")
	if cb != "" && r.Method == http.MethodGet && !ValidJSONPCallback(cb) {
		http.Error(w, "Invalid 'jsonp' callback: expected a JavaScript identifier like cb or jQuery.cb (letters, digits, _, $ and dots, at most 128 bytes)", http.StatusBadRequest)
		return false
	}
	return true
}

// writeJSONBytes writes the encoded JSON b as WriteJSON does, with its
// Content-Length (as Mesos' responses have).
func writeJSONBytes(w http.ResponseWriter, r *http.Request, status int, b []byte) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if cb := r.URL.Query().Get("jsonp"); cb != "" && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/javascript")
		w.Header().Set("Content-Length", strconv.Itoa(len(cb)+1+len(b)+2))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, cb+"(")
		_, _ = w.Write(b)
		_, _ = io.WriteString(w, ");")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// stateBuffers are the buffers /state is encoded into (about 1 MB at
// 1,000 tasks), reused across requests.
var stateBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledState is the largest /state buffer kept for reuse.
const maxPooledState = 16 << 20

// serveState writes /state with api.State.AppendJSON, which copies each
// executor's cached encoding instead of having encoding/json re-check it.
func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	if !jsonpAllowed(w, r) {
		return
	}
	st := s.cfg.Source.State()
	buf := stateBuffers.Get().(*[]byte)
	b, err := st.AppendJSON((*buf)[:0])
	if err != nil {
		stateBuffers.Put(buf)
		http.Error(w, "Failed to serialize response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSONBytes(w, r, http.StatusOK, b)
	if cap(b) <= maxPooledState {
		*buf = b
		stateBuffers.Put(buf)
	}
}

func (s *Server) serveFlags(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, r, http.StatusOK, api.Flags{Flags: s.cfg.Source.Flags()})
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
}

func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, r, http.StatusOK, s.cfg.Source.Version())
}

func (s *Server) serveMetricsSnapshot(w http.ResponseWriter, r *http.Request) {
	m := s.cfg.Source.Metrics()
	out := make(map[string]api.Float, len(m))
	for k, v := range m {
		out[k] = api.Float(v)
	}
	WriteJSON(w, r, http.StatusOK, out)
}

// monitorInterval is Mesos' pace of /monitor/statistics: 2 per second.
const monitorInterval = 500 * time.Millisecond

func (s *Server) serveMonitor(w http.ResponseWriter, r *http.Request) {
	s.monitorMu.Lock()
	now := time.Now()
	wait := s.monitorNext.Sub(now)
	s.monitorNext = now.Add(max(wait, 0) + monitorInterval)
	s.monitorMu.Unlock()
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
	}
	WriteJSON(w, r, http.StatusOK, s.cfg.Source.Monitor())
}

func (s *Server) serveContainers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cid, fid, eid := q.Get("container_id"), q.Get("framework_id"), q.Get("executor_id")
	switch {
	case cid != "" && fid == "" && eid == "":
	case cid == "" && fid != "":
	case cid == "" && fid == "" && eid == "":
	default:
		http.Error(w, "Supported query parameters are container_id only, framework_id only, or executor_id and framework_id only", http.StatusBadRequest)
		return
	}
	out := []api.Container{}
	for _, c := range s.cfg.Source.Containers() {
		if c.Standalone || c.Nested() {
			continue
		}
		if (cid != "" && c.ContainerID.Value != cid) || (fid != "" && c.FrameworkID != fid) ||
			(eid != "" && c.ExecutorID != eid) {
			continue
		}
		out = append(out, c)
	}
	WriteJSON(w, r, http.StatusOK, out)
}

// serveAPI implements POST /api/v1 with the transport rules of Mesos
// (negotiate): JSON or protobuf requests and responses, Accept honoured,
// 405 for other methods, 501 for call types agentd does not implement.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "Expecting a 'POST' request, received '"+r.Method+"'", http.StatusMethodNotAllowed)
		return
	}
	media, serr := negotiate(r.Header)
	if serr != nil {
		http.Error(w, serr.Message, serr.Status)
		return
	}
	body, status, err := ReadBody(w, r, s.cfg.MaxBody)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	if media.Streaming {
		// Only ATTACH_CONTAINER_INPUT streams its request: read the first
		// record to learn the call.
		rec, err := v1pb.NewRecordReader(bytes.NewReader(body)).Next()
		if err != nil {
			http.Error(w, "Failed to parse the first record of the streaming request: "+err.Error(), http.StatusBadRequest)
			return
		}
		body = rec
	}
	if media.Content == v1pb.MediaProtobuf {
		if body, err = v1pb.DecodeCall(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	call, err := api.DecodeCall(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch {
	case media.Streaming && call.Type != api.CallAttachContainerInput:
		http.Error(w, "Streaming 'Content-Type' application/recordio is not supported for "+call.Type+" call", http.StatusUnsupportedMediaType)
		return
	case !media.Streaming && call.Type == api.CallAttachContainerInput:
		http.Error(w, "Expecting 'Content-Type' to be application/recordio for ATTACH_CONTAINER_INPUT call", http.StatusUnsupportedMediaType)
		return
	case media.Accept == v1pb.MediaRecordIO && call.Type != api.CallAttachContainerOutput && call.Type != api.CallLaunchNestedSession:
		http.Error(w, "Streaming response is not supported for "+call.Type+" call", http.StatusNotAcceptable)
		return
	}
	s.log.Debug("Processing call "+call.Type, "content_type", media.Content, "accept", media.Accept)
	s.mu.RLock()
	h := s.calls[call.Type]
	s.mu.RUnlock()
	if h == nil {
		if _, known := api.CallTypeNumbers()[call.Type]; !known || call.Type == api.CallUnknown {
			http.Error(w, "Unsupported call type '"+call.Type+"'", http.StatusNotImplemented)
			return
		}
		http.Error(w, "Call type '"+call.Type+"' is not implemented by this agent", http.StatusNotImplemented)
		return
	}
	res, err := h(r.Context(), call)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			http.Error(w, se.Message, se.Status)
			return
		}
		s.log.Error("v1 call failed", "type", call.Type, "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if res == nil {
		// 200 without a body and without a Content-Type, as Mesos' OK().
		w.WriteHeader(http.StatusOK)
		return
	}
	if sr, ok := res.(Status); ok {
		w.WriteHeader(int(sr))
		return
	}
	resp := api.Response{Type: responseType(call.Type), Body: res}
	if media.Accept != v1pb.MediaProtobuf {
		WriteJSON(w, r, http.StatusOK, resp)
		return
	}
	js, err := json.Marshal(resp)
	if err == nil {
		js, err = v1pb.ResponseProto(js)
	}
	if err != nil {
		s.log.Error("v1 response cannot be encoded as protobuf", "type", call.Type, "err", err)
		http.Error(w, "Failed to serialize the response as protobuf: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", v1pb.MediaProtobuf)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(js)
}

// Status is a call result that is only an HTTP status (e.g. Status(202)
// for "container already launched").
type Status int

func responseType(callType string) string {
	switch callType {
	case api.CallWaitNestedContainer:
		return "WAIT_NESTED_CONTAINER"
	}
	return callType
}

// Serve serves on ln until ctx is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener, ready func(net.Addr)) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		return nil
	}
}
