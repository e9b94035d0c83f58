package exec

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/suggest"
)

// NewCmdMesosExecute is the mesos-execute personality (the binary invoked
// through a link named mesos-execute): `mesosctl exec` with exactly
// mesos-execute 1.11's flags, under their own names (--kill_after, not
// --kill-after), stout's --no-<flag> for the booleans, and none of
// mesosctl's own options (--constraint, --detach, --user, --agent, --zk,
// --timeout). Agents are found through --master, or the configuration.
// Its command line is read in stout's grammar (cmdutil.ParseStoutFlags).
func NewCmdMesosExecute(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	opts.Sel.Use(f)
	opts.Sel.Timeout = 10 * time.Second
	cmd := &cobra.Command{
		Use:    "mesos-execute --master=MASTER --name=NAME --command=COMMAND [flags]",
		Short:  "Run a task as mesos-execute does (the mesos-execute personality of exec)",
		Hidden: true,
		// stout's grammar, not pflag's: --name=value only (a separate
		// value is refused with how to write it), arguments that are not
		// flags skipped with a warning, as mesos-execute skips them.
		DisableFlagParsing: true,
		Args:               cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ignored, help, err := cmdutil.ParseStoutFlags(cmd, args)
			if err != nil {
				return err
			}
			if help {
				return cmd.Help()
			}
			cmdutil.WarnIgnored(opts.IO.ErrOut, "mesos-execute", ignored)
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Sel.Master, "master", "", "Mesos master (ip:port) or zk://host:port/path; agentd's registry or a master's /slaves list the agents")
	addMesosExecuteFlags(fs, opts, func(name string) string { return name })
	cmdutil.AddNegations(fs)
	return cmd
}

// addMesosExecuteFlags registers mesos-execute 1.11's flags but --master
// (and --help) on fs, named by name (mesos-execute's snake_case name in,
// the name to register out).
func addMesosExecuteFlags(fs *pflag.FlagSet, o *Options, name func(string) string) {
	fs.StringVar(&o.Name, name("name"), "", "name of the task (required)")
	fs.StringVar(&o.Command, name("command"), "", "command to run with sh -c (required)")
	fs.BoolVar(&o.Shell, name("shell"), true, "run --command with sh -c; false: split it on spaces into argv")
	fs.StringVar(&o.Env, name("env"), "", `environment as a JSON object {"NAME":"value"}, or file:///path to one`)
	fs.StringVar(&o.Resources, name("resources"), "cpus:1;mem:128", "resources of the task (cpus, mem, disk)")
	fs.StringVar(&o.Containerizer, name("containerizer"), "mesos", "containerizer: mesos (a command on the host) or docker (needs --docker_image)")
	suggest.MarkEnum(fs, name("containerizer"), Containerizers)
	fs.StringVar(&o.DockerImage, name("docker_image"), "", "Docker image (<image>:<tag>) to run the task in, with --containerizer docker")
	fs.StringVar(&o.AppcImage, name("appc_image"), "", "refused: agentd runs no appc images")
	fs.StringVar(&o.Volumes, name("volumes"), "", "with --containerizer docker: volumes as a JSON array of Mesos Volume objects (or file:///path to one)")
	fs.StringVar(&o.Networks, name("networks"), "", "with --containerizer docker: the one Docker network (USER) to join; refused with mesos (agentd joins no CNI networks)")
	fs.BoolVar(&o.Checkpoint, name("checkpoint"), false, "accepted and ignored: agentd always checkpoints")
	fs.StringVar(&o.Role, name("role"), "*", "role whose reserved resources the task may use")
	fs.StringVar(&o.Principal, name("principal"), "", "HTTP principal for the agent (default from defaults.http_credentials)")
	fs.StringVar(&o.Secret, name("secret"), "", "HTTP secret for the agent")
	fs.StringVar(&o.FrameworkCaps, name("framework_capabilities"), "", "GPU_RESOURCES, or nothing (the framework always has RESERVATION_REFINEMENT, TASK_KILLING_STATE, REVOCABLE_RESOURCES; agentd has no GPUs)")
	fs.StringVar(&o.KillAfter, name("kill_after"), "", "kill the task this long after TASK_RUNNING (10secs, 2mins, or 10s)")
	fs.StringVar(&o.Task, name("task"), "", "refused: give --name/--command/--resources instead")
	fs.StringVar(&o.TaskGroup, name("task_group"), "", "refused: agentd launches no task groups")
	fs.StringVar(&o.EffectiveCaps, name("effective_capabilities"), "", "refused: agentd sets no capabilities")
	fs.StringVar(&o.BoundingCaps, name("bounding_capabilities"), "", "refused: agentd sets no capabilities")
	fs.StringVar(&o.Rlimits, name("rlimits"), "", "refused: agentd sets no rlimits")
	fs.BoolVar(&o.TTY, name("tty"), false, "refused: agentd allocates no TTY")
	fs.StringVar(&o.ContentType, name("content_type"), "protobuf", "accepted and ignored (protobuf or json)")
	suggest.MarkEnum(fs, name("content_type"), ContentTypes)
	fs.BoolVar(&o.PartitionAw, name("partition_aware"), true, "the framework has the PARTITION_AWARE capability (no effect on agentd)")
	fs.StringVar(&o.Hadoop, name("hadoop"), "hadoop", "accepted and ignored")
	fs.StringVar(&o.HDFS, name("hdfs"), "localhost:9000", "accepted and ignored")
	fs.StringVar(&o.Package, name("package"), "", "refused: agentd fetches no packages")
	fs.BoolVar(&o.Overwrite, name("overwrite"), false, "accepted and ignored")
}
