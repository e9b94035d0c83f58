package runtime

import (
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/mesos"
)

// EnvOptions are the agent settings that Mesos puts into every executor's
// environment.
type EnvOptions struct {
	// Variables is --executor_environment_variables (nil when unset).
	Variables map[string]string
	// LibprocessIP is agentd's own LIBPROCESS_IP ("" when unset): Mesos
	// passes it on so that executors need no DNS.
	LibprocessIP string
	// AgentPID is the agent's libprocess PID, slave(1)@ip:port.
	AgentPID string
	// HTTPCommandExecutor is --http_command_executor.
	HTTPCommandExecutor bool
	// ShutdownGracePeriod, RecoveryTimeout and ReregistrationTimeout are
	// --executor_shutdown_grace_period, --recovery_timeout and
	// --executor_reregistration_timeout.
	ShutdownGracePeriod, RecoveryTimeout, ReregistrationTimeout time.Duration
}

// AgentEnvironment is the agent-wide part of an executor's environment, as
// Mesos 1.11's agent builds it (src/slave/slave.cpp executorEnvironment):
// LIBPROCESS_IP when the agent has one, --executor_environment_variables,
// then LIBPROCESS_PORT=0 and the MESOS_* variables of a checkpointing
// framework (agentd's frameworks always checkpoint). The per-container
// variables (MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID, MESOS_DIRECTORY,
// MESOS_SLAVE_ID, MESOS_SANDBOX) are added at launch. agentd has no
// libmesos, so MESOS_NATIVE_LIBRARY and MESOS_NATIVE_JAVA_LIBRARY are never
// set, and no executor authentication token (MESOS_EXECUTOR_AUTHENTICATION_TOKEN).
func AgentEnvironment(o EnvOptions) map[string]string {
	env := map[string]string{}
	if o.LibprocessIP != "" {
		env["LIBPROCESS_IP"] = o.LibprocessIP
	}
	for k, v := range o.Variables {
		env[k] = v
	}
	env["LIBPROCESS_PORT"] = "0"
	env["MESOS_SLAVE_PID"] = o.AgentPID
	_, endpoint, _ := strings.Cut(o.AgentPID, "@") // the PID's address, ip:port
	env["MESOS_AGENT_ENDPOINT"] = endpoint
	env["MESOS_CHECKPOINT"] = "1"
	env["MESOS_HTTP_COMMAND_EXECUTOR"] = "0"
	if o.HTTPCommandExecutor {
		env["MESOS_HTTP_COMMAND_EXECUTOR"] = "1"
	}
	env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = mesos.FormatDuration(o.ShutdownGracePeriod)
	env["MESOS_RECOVERY_TIMEOUT"] = mesos.FormatDuration(o.RecoveryTimeout)
	env["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = mesos.FormatDuration(o.ReregistrationTimeout)
	return env
}
