package httpapi

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// metricsCollector exposes the Mesos metrics snapshot to Prometheus:
// "slave/tasks_running" becomes gauge "mesos_slave_tasks_running".
type metricsCollector struct{ src Source }

func (c *metricsCollector) Describe(chan<- *prometheus.Desc) {} // unchecked collector

func (c *metricsCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src == nil {
		return
	}
	for name, v := range c.src.Metrics() {
		desc := prometheus.NewDesc(PrometheusName(name), "Mesos metric "+name, nil, nil)
		m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, v)
		if err == nil {
			ch <- m
		}
	}
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
