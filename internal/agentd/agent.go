package agentd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/files"
	"github.com/mesosctl/mesosctl/internal/agentd/flags"
	"github.com/mesosctl/mesosctl/internal/agentd/httpapi"
	"github.com/mesosctl/mesosctl/internal/agentd/loglevel"
	"github.com/mesosctl/mesosctl/internal/build"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/mesos/stout"
	"github.com/mesosctl/mesosctl/internal/zk"
)

// MesosVersion is the Mesos release whose agent surface agentd implements.
const MesosVersion = "1.11.0"

// VersionLine is what --version prints.
func VersionLine() string {
	return fmt.Sprintf("mesosctl-agentd %s (mesos %s compatible)", build.Current().Version, MesosVersion)
}

// Agent is a running agent.
type Agent struct {
	cfg       *Config
	log       *slog.Logger
	id        string
	info      mesos.AgentInfo // total resources after detection
	rt        Runtime
	start     time.Time
	pid       string
	ip        string // the advertised IP (in pid)
	files     *files.Files
	verbosity *loglevel.Verbosity
	server    *httpapi.Server
	mu        sync.Mutex
	recoverTS time.Duration
	reg       *zk.Registration
	live      liveAttributes // attributes changed at run time (liveattrs.go)
}

// Run starts the agent and blocks until ctx is done or a fatal error
// occurs. Identity errors are *RecoveryError (exit 1 with Mesos' hint).
func Run(ctx context.Context, cfg *Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Agent{cfg: cfg, log: log, start: time.Now()}
	log.Info("Build: " + build.Current().Date + " (mesosctl " + build.Current().Version + ")")
	log.Info("Version: " + MesosVersion)
	log.Info("Flags at startup: " + cfg.Flags.CommandLine())
	for _, d := range cfg.Flags.Deprecated {
		log.Warn(fmt.Sprintf("Loaded deprecated flag '%s'", d))
	}
	if len(cfg.Flags.Ignored) > 0 {
		log.Warn(fmt.Sprintf("Ignoring command-line arguments that are not flags: '%s' (flags are written --name=value; a Mesos agent skips such arguments too)",
			strings.Join(cfg.Flags.Ignored, "' '")))
	}
	if w := noEffectWarning(cfg.Flags.NoEffect()); w != "" {
		log.Warn(w)
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return fmt.Errorf("Failed to create --work_dir '%s': %v", cfg.WorkDir, err)
	}
	res, err := mesos.DetectResources(cfg.Resources, cfg.WorkDir, cfg.DefaultRole)
	if err != nil {
		return fmt.Errorf("Failed to determine agent resources: %v", err)
	}
	hostname, err := a.resolveHostname()
	if err != nil {
		return err
	}
	a.info = mesos.AgentInfo{Hostname: hostname, Port: cfg.Port, Resources: res,
		Attributes: cfg.Attributes, Domain: cfg.Domain}
	log.Info("Agent resources: " + res.String())
	log.Info("Agent attributes: [ " + cfg.Attributes.String() + " ]")
	log.Info("Agent hostname: " + hostname)

	// Bind before recovery so that the port clash is reported early and
	// /health answers while recovering.
	bindIP := cfg.IP
	if bindIP == "" {
		bindIP = "0.0.0.0"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bindIP, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("Failed to bind to %s:%d: %v (is another agent running? use --port)", bindIP, cfg.Port, err)
	}
	if !cfg.AuthReadwrite && !isLoopback(bindIP) {
		log.Warn(fmt.Sprintf("HTTP read-write authentication is off and agentd listens on %s: anyone who can reach this port "+
			"can launch tasks, and so run commands as root on this host. Turn on --authenticate_http_readwrite with "+
			"--http_credentials, or listen on a loopback address (--ip=127.0.0.1); see docs/security.md", ln.Addr()))
	}
	// Mesos' public address: --advertise_ip/--advertise_port, else the
	// bound address, else (bound to every address) the host name's first.
	advertise := cfg.AdvertiseIP
	if advertise == "" {
		advertise = cfg.IP
	}
	if advertise == "" || advertise == "0.0.0.0" {
		advertise = firstIP(hostname)
	}
	a.ip = advertise
	port := ln.Addr().(*net.TCPAddr).Port
	if cfg.AdvertisePort > 0 {
		port = cfg.AdvertisePort
		a.info.Port = port
	}
	a.pid = fmt.Sprintf("slave(1)@%s:%d", advertise, port)

	metaDir := filepath.Join(cfg.WorkDir, "meta")
	log.Info(fmt.Sprintf("Recovering state from '%s'", metaDir))
	recStart := time.Now()
	ident, err := RecoverIdentity(cfg.WorkDir, cfg.ReconfigurationPolicy, a.info)
	if err != nil {
		ln.Close()
		return err
	}
	a.id = ident.ID
	if ident.New {
		log.Info("Starting as new agent " + a.id)
	} else {
		log.Info("Recovered agent " + a.id)
	}
	factory := cfg.NewRuntime
	if factory == nil {
		factory = newRuntime
	}
	a.rt, err = factory(RuntimeEnv{Config: cfg, AgentID: a.id, Hostname: hostname, PID: a.pid, IP: a.ip, Resources: res,
		MetaDir: filepath.Join(metaDir, "slaves", a.id), SandboxRoot: filepath.Join(cfg.WorkDir, "slaves", a.id),
		Logger: log})
	if err != nil {
		ln.Close()
		var se interface{ StartupFailure() bool }
		if errors.As(err, &se) && se.StartupFailure() {
			return err // a Mesos agent's own words (the Docker containerizer)
		}
		return fmt.Errorf("Failed to create the task runtime: %v", err)
	}
	a.server = httpapi.New(httpapi.Config{Source: a, Credentials: cfg.Credentials,
		AuthenticateReadonly: cfg.AuthReadonly, AuthenticateReadwrite: cfg.AuthReadwrite, Logger: log})
	a.server.RegisterRuntime(a.rt)
	a.registerAttributeAPI(a.server)
	a.registerPlacementAPI(a.server)
	// /files: the sandboxes the runtime knows, and the agent's log.
	a.files = files.New(a.rt.SandboxPaths)
	if cfg.Log != nil && cfg.Log.File != "" {
		if err := a.files.Attach(cfg.Log.File, "/slave/log"); err != nil {
			log.Error("Failed to attach '" + cfg.Log.File + "' to virtual path '/slave/log': " + err.Error())
		}
	}
	a.server.RegisterFiles(a.files)
	// GET/SET_LOGGING_LEVEL: glog's verbose level, 0 at start.
	a.verbosity = loglevel.New(0, func(l uint32) {
		if cfg.Log != nil {
			cfg.Log.SetVerbosity(l)
		}
	})
	defer a.verbosity.Stop()
	a.server.RegisterLogging(a.verbosity)

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	serveErr := make(chan error, 1)
	go func() { serveErr <- a.server.Serve(sctx, ln, nil) }()

	if err := a.rt.Recover(ctx); err != nil {
		cancel()
		<-serveErr
		var se interface{ StartupFailure() bool }
		if errors.As(err, &se) && se.StartupFailure() {
			return err // not about the checkpointed state: no "rm latest" hint
		}
		return &RecoveryError{WorkDir: cfg.WorkDir, Err: err}
	}
	a.mu.Lock()
	a.recoverTS = time.Since(recStart)
	a.mu.Unlock()
	a.server.MarkRecovered()
	log.Info("Finished recovery")
	log.Info("Agent " + a.id + " listening on " + ln.Addr().String())

	var reg *zk.Registration
	if strings.HasPrefix(cfg.Master, "zk://") {
		reg, err = zk.Register(sctx, cfg.Master, cfg.Flags.Duration("zk_session_timeout"), a.id, a.zkInfo(), log)
		if err != nil {
			log.Error("ZooKeeper registration failed", "err", err)
		}
		a.mu.Lock()
		a.reg = reg
		a.mu.Unlock()
	} else if cfg.Master != "" {
		log.Info("Master " + cfg.Flags.Shown("master") + " configured; agentd runs standalone and does not register with a Mesos master")
	}
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr().String())
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = err
	}
	log.Info("Agent shutting down")
	if reg != nil {
		reg.Close()
	}
	cancel()
	shCtx, shCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer shCancel()
	if err := a.rt.Shutdown(shCtx); err != nil {
		log.Error("runtime shutdown failed", "err", err)
	}
	if runErr != nil && !errors.Is(runErr, net.ErrClosed) {
		return runErr
	}
	return nil
}

func (a *Agent) resolveHostname() (string, error) {
	if a.cfg.Hostname != "" {
		return a.cfg.Hostname, nil
	}
	if !a.cfg.HostnameLookup && a.cfg.IP != "" {
		return a.cfg.IP, nil
	}
	h, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("Failed to get hostname: %v (set --hostname)", err)
	}
	return h, nil
}

// isLoopback reports whether ip (a listen address) only accepts
// connections from this host.
func isLoopback(ip string) bool {
	a := net.ParseIP(ip)
	return a != nil && a.IsLoopback()
}

// noEffectWarning is the one start-up warning naming the flags given that
// agentd accepts without acting on them, grouped by what they would need.
func noEffectWarning(specs []*flags.Spec) string {
	if len(specs) == 0 {
		return ""
	}
	var needs []string
	byNeed := map[string][]string{}
	for _, s := range specs {
		if _, ok := byNeed[s.Needs]; !ok {
			needs = append(needs, s.Needs)
		}
		byNeed[s.Needs] = append(byNeed[s.Needs], "--"+s.Name)
	}
	parts := make([]string, len(needs))
	for i, n := range needs {
		parts[i] = strings.Join(byNeed[n], ", ") + " (needs " + n + ")"
	}
	return "These flags are accepted but have no effect in agentd: " + strings.Join(parts, "; ") +
		" (docs/compatibility.md lists every flag)"
}

func firstIP(host string) string {
	addrs, err := net.LookupHost(host)
	if err == nil {
		for _, ad := range addrs {
			if ip := net.ParseIP(ad); ip != nil && ip.To4() != nil {
				return ad
			}
		}
	}
	return "127.0.0.1"
}

// ID returns the agent ID.
func (a *Agent) ID() string { return a.id }

func (a *Agent) zkInfo() zk.AgentEntry {
	_, portStr, _ := net.SplitHostPort(strings.TrimPrefix(a.pid, "slave(1)@"))
	port, _ := strconv.Atoi(portStr)
	ip, _, _ := net.SplitHostPort(strings.TrimPrefix(a.pid, "slave(1)@"))
	return zk.AgentEntry{ID: a.id, Hostname: a.info.Hostname, Port: port, PID: a.pid,
		Resources:  json.RawMessage(a.info.Resources.SummaryJSON()),
		Attributes: json.RawMessage(a.attributes().V0JSON()), Version: MesosVersion,
		Address: zk.Address{Hostname: a.info.Hostname, IP: ip, Port: port}}
}

// --- httpapi.Source ---

// Monitor is /monitor/statistics.
func (a *Agent) Monitor() []api.MonitorStatistics { return a.rt.Monitor() }

// State returns the v0 /state document.
func (a *Agent) State() api.State {
	bi := build.Current()
	v := a.Version()
	res := a.info.Resources
	alloc := a.rt.Allocated()
	active, completed := a.rt.Frameworks()
	if active == nil {
		active = []api.Framework{}
	}
	if completed == nil {
		completed = []api.Framework{}
	}
	st := api.State{
		Version: v.Version, GitSHA: v.GitSHA, GitTag: v.GitTag, BuildDate: v.BuildDate,
		BuildTime: v.BuildTime, BuildUser: v.BuildUser,
		StartTime: api.Float(float64(a.start.UnixNano()) / 1e9), ID: a.id, PID: a.pid,
		Hostname: a.info.Hostname, Capabilities: Capabilities,
		Resources:                    res.SummaryJSON(),
		ReservedResources:            map[string]json.RawMessage{},
		UnreservedResources:          res.Unreserved().SummaryJSON(),
		ReservedResourcesFull:        map[string]json.RawMessage{},
		UnreservedResourcesFull:      res.Unreserved().FullJSON(),
		ReservedResourcesAllocated:   map[string]json.RawMessage{},
		UnreservedResourcesAllocated: alloc.Unreserved().SummaryJSON(),
		ResourceProviders:            []json.RawMessage{},
		Attributes:                   a.attributes().V0JSON(),
		LogDir:                       a.cfg.LogDir,
		ExternalLogFile:              a.cfg.Flags.String("external_log_file"),
		Flags:                        a.flagMap(),
		Frameworks:                   active,
		CompletedFrameworks:          completed,
	}
	_ = bi
	if a.cfg.Domain != "" && json.Valid([]byte(a.cfg.Domain)) {
		st.Domain = json.RawMessage(a.cfg.Domain)
	}
	for role, r := range res.ByRole() {
		st.ReservedResources[role] = r.SummaryJSON()
		st.ReservedResourcesFull[role] = r.FullJSON()
	}
	for role, r := range alloc.ByRole() {
		st.ReservedResourcesAllocated[role] = r.SummaryJSON()
	}
	return st
}

// Flags returns every flag with a value.
func (a *Agent) Flags() map[string]string { return a.flagMap() }

// Version returns /version.
func (a *Agent) Version() api.Version {
	bi := build.Current()
	v := api.Version{Version: MesosVersion, BuildDate: bi.Date, BuildUser: "mesosctl"}
	if t, err := time.Parse(time.RFC3339, bi.Date); err == nil {
		v.BuildDate = t.UTC().Format("2006-01-02 15:04:05")
		v.BuildTime = t.Unix()
	}
	if bi.Commit != "none" {
		v.GitSHA = bi.Commit
	}
	v.GitTag = bi.Version
	return v
}

// Metrics returns /metrics/snapshot.
func (a *Agent) Metrics() map[string]float64 {
	m := map[string]float64{}
	res := a.info.Resources
	alloc := a.rt.Allocated()
	for _, n := range []string{"cpus", "mem", "disk", "gpus"} {
		total, used := res.Scalar(n), alloc.Scalar(n)
		m["slave/"+n+"_total"] = total
		m["slave/"+n+"_used"] = used
		pct := 0.0
		if total > 0 {
			pct = used / total
		}
		m["slave/"+n+"_percent"] = pct
		m["slave/"+n+"_revocable_total"] = 0
		m["slave/"+n+"_revocable_used"] = 0
		m["slave/"+n+"_revocable_percent"] = 0
	}
	m["slave/uptime_secs"] = time.Since(a.start).Seconds()
	m["slave/recovery_errors"] = 0
	a.mu.Lock()
	m["slave/registered"] = 0
	if a.reg.Registered() {
		m["slave/registered"] = 1
	}
	m["slave/recovery_time_secs"] = a.recoverTS.Seconds()
	a.mu.Unlock()
	for _, k := range []string{"tasks_staging", "tasks_starting", "tasks_running", "tasks_killing",
		"tasks_finished", "tasks_failed", "tasks_killed", "tasks_lost", "tasks_gone",
		"executors_registering", "executors_running", "executors_terminating",
		"executors_terminated", "executors_preempted", "frameworks_active",
		"container_launch_errors", "valid_status_updates", "invalid_status_updates",
		"valid_framework_messages", "invalid_framework_messages"} {
		m["slave/"+k] = 0
	}
	for _, k := range []string{"gc/path_removals_succeeded", "gc/path_removals_failed", "gc/path_removals_pending",
		"containerizer/fetcher/task_fetches_succeeded", "containerizer/fetcher/task_fetches_failed",
		"containerizer/mesos/container_destroy_errors", "containerizer/mesos/provisioner/remove_container_errors",
		"containerizer/mesos/provisioner/bind/remove_rootfs_errors",
		"resource_provider_manager/events/subscribe", "resource_provider_manager/events/disconnect"} {
		m[k] = 0
	}
	// Mesos' GC age before its first disk check, age(0): gc_delay scaled
	// by the headroom. The runtime's disk check (its metrics) replaces it.
	m["slave/executor_directory_max_allowed_age_secs"] = a.cfg.Flags.Duration("gc_delay").Seconds() *
		max(0, 1-a.cfg.Flags.Float("gc_disk_headroom"))
	cache, _ := stout.ParseBytes(a.cfg.Flags.String("fetcher_cache_size"))
	m["containerizer/fetcher/cache_size_total_bytes"] = float64(cache)
	m["containerizer/fetcher/cache_size_used_bytes"] = 0 // agentd caches no URIs
	m["resource_provider_manager/subscribed"] = 0
	for k, v := range a.rt.Metrics() {
		m[k] = v
	}
	if os.Geteuid() != 0 {
		// Mesos' bind backend (and its metric) exists only for root.
		delete(m, "containerizer/mesos/provisioner/bind/remove_rootfs_errors")
	}
	systemMetrics(m)
	return m
}

func systemMetrics(m map[string]float64) {
	m["system/cpus_total"] = float64(runtime.NumCPU())
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			for i, k := range []string{"system/load_1min", "system/load_5min", "system/load_15min"} {
				v, _ := strconv.ParseFloat(f[i], 64)
				m[k] = v
			}
		}
	}
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err == nil {
		unit := float64(si.Unit)
		m["system/mem_total_bytes"] = float64(si.Totalram) * unit
		m["system/mem_free_bytes"] = float64(si.Freeram) * unit
	}
}

// Containers returns the runtime's containers.
func (a *Agent) Containers() []api.Container { return a.rt.Containers() }

// Frameworks returns the runtime's frameworks.
func (a *Agent) Frameworks() (active, completed []api.Framework) { return a.rt.Frameworks() }

// AgentInfo returns the GET_AGENT agent_info.
func (a *Agent) AgentInfo() api.AgentInfo { return v1AgentInfo(a.id, a.agentInfo()) }
