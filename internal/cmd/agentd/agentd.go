// Package agentd implements `mesosctl agentd` (also invoked as mesos-agent
// or mesos-slave): it takes exactly Mesos' flag syntax, builds the agent
// configuration and runs the agent until SIGINT/SIGTERM.
package agentd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	agent "github.com/mesosctl/mesosctl/internal/agentd"
	"github.com/mesosctl/mesosctl/internal/agentd/flags"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/selfmem"
)

// Options are the inputs of `mesosctl agentd`.
type Options struct {
	IO      *iostreams.IOStreams
	Args    []string
	Environ func() []string
	// Prog is the program name used for --help and log file names.
	Prog string
	// Executable is the multi-call binary containers are launched with.
	Executable func() string
	// Ready is passed to the agent (tests).
	Ready func(addr string)
}

// NewCmdAgentd builds the command; runF replaces the behaviour in tests.
func NewCmdAgentd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Environ: os.Environ, Executable: f.Executable}
	cmd := &cobra.Command{
		Use:   "agentd [--name=value ...]",
		Short: "Run a Mesos-compatible agent daemon (also: mesos-agent, mesos-slave)",
		Long: `Run a Mesos-compatible agent daemon.

agentd takes Apache Mesos' agent flags in Mesos syntax (--work_dir=/var/lib/mesos,
--port=5051, --attributes='rack:3', --no-switch_user ...), MESOS_<NAME>
environment variables, and the flag files of --config_dir (default
/etc/mesos-slave, mesos-init-wrapper convention). The command line wins over
config_dir files, which win over the environment. Run 'mesosctl agentd --help'
for every flag; see docs/agentd.md.`,
		Example: `  $ mesosctl agentd --work_dir=/var/lib/mesos --port=5051 --attributes='rack:3;os:centos7'
  $ mesos-slave --work_dir=/var/lib/mesos --master=zk://127.0.0.1:2181/mesos`,
		GroupID:            "daemon",
		DisableFlagParsing: true,
		SilenceUsage:       true,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Args = args
			if opts.Prog == "" {
				opts.Prog = progName()
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd, opts)
		},
	}
	return cmd
}

func progName() string {
	base := filepath.Base(os.Args[0])
	if base == "mesos-slave" || base == "mesos-agent" {
		return base
	}
	return "mesos-agent"
}

// Run loads the flags and runs the agent: the agent package turns them
// into its configuration and log, builds its runtime and serves.
func Run(cmd *cobra.Command, opts *Options) error {
	vals, err := flags.Load(opts.Args, opts.Environ())
	switch {
	case errors.Is(err, flags.ErrHelp):
		fmt.Fprint(opts.IO.Out, flags.Usage(opts.Prog))
		return nil
	case errors.Is(err, flags.ErrVersion):
		fmt.Fprintln(opts.IO.Out, agent.VersionLine())
		return nil
	case err != nil:
		return cmdutil.FlagErrorf("%v", err)
	}
	cfg, err := agent.NewConfig(vals)
	if err != nil {
		return cmdutil.FlagErrorf("%v", err)
	}
	log, err := agent.NewLogger(opts.IO.ErrOut, vals, opts.Prog)
	if err != nil {
		return err
	}
	defer log.Close()
	cfg.Logger, cfg.Log = log.Logger, log
	logger := log.Logger
	if opts.Executable != nil {
		cfg.Executable = opts.Executable()
	}
	cfg.Ready = func(addr string) {
		// Started and recovered: what only the start touched of the
		// binary leaves agentd's RSS (selfmem).
		if _, err := selfmem.ReleaseExecutable(); err != nil {
			logger.Debug("cannot release the executable's start-up pages: " + err.Error())
		}
		if opts.Ready != nil {
			opts.Ready(addr)
		}
	}
	if err := agent.Run(cmd.Context(), cfg); err != nil {
		logger.Error(err.Error())
		var re *agent.RecoveryError
		if errors.As(err, &re) {
			fmt.Fprintln(opts.IO.ErrOut, err)
			return cmdutil.SilentError
		}
		return err
	}
	return nil
}
