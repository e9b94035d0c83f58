// Package dockerexecutor holds the hidden `mesosctl docker-executor`
// command, which the binary also runs as when invoked as
// mesos-docker-executor: agentd's Docker executor (see
// internal/agentd/dockerexecutor), with Mesos' flags.
package dockerexecutor

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentd/dockerexecutor"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/mesos"
)

// NewCmdDockerExecutor returns the hidden docker-executor command.
func NewCmdDockerExecutor(f *cmdutil.Factory) *cobra.Command {
	var fl dockerexecutor.Flags
	var stopTimeout string
	cmd := &cobra.Command{
		Use:    "docker-executor --container=NAME --docker=PATH --sandbox_directory=DIR --mapped_directory=DIR --launcher_dir=DIR --task_info=<file|json>",
		Short:  "Docker executor used by agentd (mesos-docker-executor)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if stopTimeout != "" {
				d, err := mesos.ParseDuration(stopTimeout)
				if err != nil {
					return cmdutil.FlagErrorf("Failed to load flag 'stop_timeout': %v", err)
				}
				fl.StopTimeout = d
			}
			if err := fl.Validate(); err != nil {
				return cmdutil.FlagErrorf("%v", err)
			}
			grace, err := dockerexecutor.GracePeriod(os.Getenv, fl.StopTimeout, mesos.ParseDuration)
			if err != nil {
				return err
			}
			if code := dockerexecutor.Run(&fl, grace); code != 0 {
				return &cmdutil.ExitStatusError{Code: code}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&fl.Container, "container", "", "The name of the docker container to run")
	fs.StringVar(&fl.Docker, "docker", "", "The path to the docker executable")
	fs.StringVar(&fl.DockerSocket, "docker_socket", "", "The Docker engine's unix socket (default /var/run/docker.sock)")
	fs.StringVar(&fl.SandboxDirectory, "sandbox_directory", "", "The path to the container sandbox holding stdout and stderr files")
	fs.StringVar(&fl.MappedDirectory, "mapped_directory", "", "The sandbox directory path that is mapped in the docker container")
	fs.StringVar(&fl.LauncherDir, "launcher_dir", "", "Directory path of the Mesos helper binaries")
	fs.StringVar(&stopTimeout, "stop_timeout", "", "Deprecated: docker stop's timeout when longer than the shutdown grace period")
	fs.StringVar(&fl.TaskEnvironment, "task_environment", "", "A JSON map of environment variables for the task")
	fs.BoolVar(&fl.CgroupsEnableCFS, "cgroups_enable_cfs", false, "Hard CPU limits (docker run --cpu-quota)")
	fs.StringVar(&fl.TaskInfo, "task_info", "", "The task: a JSON file path or inline JSON (agentd's; a Mesos executor gets it from the agent)")
	return cmd
}
