package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// servePrometheus exposes the Mesos metrics snapshot in the Prometheus text
// exposition format (version 0.0.4), one gauge per metric:
// "slave/tasks_running" becomes "mesos_slave_tasks_running", sorted by name,
// as the Prometheus client library's handler wrote it. It is written here
// rather than through that library because every process of the multi-call
// binary pays the package init of what is linked (the library, its procfs,
// expvar and protobuf model: ≈ 2 ms per start of a per-task helper).
func (s *Server) servePrometheus(w http.ResponseWriter, r *http.Request) {
	var m map[string]float64
	if s.cfg.Source != nil {
		m = s.cfg.Source.Metrics()
	}
	keys := make(map[string]string, len(m)) // Prometheus name → Mesos key
	names := make([]string, 0, len(m))
	for k := range m {
		name := PrometheusName(k)
		if other, dup := keys[name]; dup {
			a, b := min(k, other), max(k, other)
			http.Error(w, fmt.Sprintf("metrics %q and %q both map to the Prometheus name %s", a, b, name), http.StatusInternalServerError)
			return
		}
		keys[name] = k
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		k := keys[name]
		fmt.Fprintf(&b, "# HELP %s Mesos metric %s\n# TYPE %s gauge\n%s %s\n", name, escapeHelp(k), name, name, promFloat(m[k]))
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
	_, _ = w.Write([]byte(b.String()))
}

// escapeHelp escapes a HELP text as the exposition format requires.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// promFloat renders a sample value as the exposition format does.
func promFloat(v float64) string {
	switch {
	case math.IsInf(v, +1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// PrometheusName maps a Mesos metric key to a Prometheus metric name.
func PrometheusName(key string) string {
	var b strings.Builder
	b.WriteString("mesos_")
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
