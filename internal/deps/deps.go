//go:build deps

// Package deps pins the project's chosen third-party libraries in go.mod
// until the packages that use them land. It is never built.
package deps

import (
	_ "github.com/charmbracelet/lipgloss"
	_ "github.com/charmbracelet/lipgloss/table"
	_ "github.com/charmbracelet/lipgloss/tree"
	_ "github.com/containerd/cgroups/v3/cgroup1"
	_ "github.com/containerd/cgroups/v3/cgroup2"
	_ "github.com/go-zookeeper/zk"
	_ "github.com/itchyny/gojq"
	_ "github.com/kevinburke/ssh_config"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/spf13/viper"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/crypto/ssh/agent"
	_ "golang.org/x/crypto/ssh/knownhosts"
	_ "golang.org/x/sys/unix"
	_ "gopkg.in/yaml.v3"
)
