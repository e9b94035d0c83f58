package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/testcluster"
)

// DefaultDir is where `up` puts the cluster unless --dir says.
const DefaultDir = "/tmp/mesosctl-cluster"

// newCmdRoot builds the command tree; out and errOut are the streams of
// every command.
func newCmdRoot(out, errOut io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mesosctl-testcluster <command>",
		Short: "Start, stop or show a multi-node test cluster on this machine (needs root)",
		Long: `A test cluster is N nodes lxb001… on this machine. Each node is a set of
Linux namespaces (mount, UTS, PID) sharing the host network, with its own
hostname, /etc/mesos-slave, /var/lib/mesos and /var/log/mesos, an OpenSSH sshd
on 127.0.1.N:22, the agent (mesosctl agentd as /usr/sbin/mesos-slave) on
127.0.1.N:5051 and a systemctl shim for 'systemctl restart mesos-slave'.
A ZooKeeper server runs on 127.0.0.1. The host is left unchanged.

This is a developer tool (make demo, scripts/cluster.sh, the end-to-end
tests), not part of the mesosctl release.`,
		Example:       "  $ sudo mesosctl-testcluster up --nodes 4\n  $ eval \"$(mesosctl-testcluster env)\"\n  $ mesosctl-testcluster status\n  $ sudo mesosctl-testcluster down",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	cmd.AddCommand(newCmdUp(), newCmdDown(), newCmdStatus(), newCmdEnv(), newCmdNodeInit(), newCmdSystemctl())
	usageArgs(cmd)
	return cmd
}

// usageArgs makes positional-argument errors of cmd and its subcommands
// usage errors (exit 2), like bad flags.
func usageArgs(cmd *cobra.Command) {
	if orig := cmd.Args; orig != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := orig(c, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		usageArgs(sub)
	}
}

// upOptions are the inputs of `up`.
type upOptions struct {
	Out, ErrOut io.Writer
	Harness     string // this binary
	Dir         string
	Nodes       int
	Prefix      string
	Subnet      string
	NoAgent     bool
	Docker      bool
	AgentExe    string
	Timeout     time.Duration
}

func newCmdUp() *cobra.Command {
	opts := &upOptions{}
	cmd := &cobra.Command{
		Use:     "up",
		Short:   "Start a test cluster and print how to reach it",
		Example: "  $ sudo mesosctl-testcluster up\n  $ sudo mesosctl-testcluster up --nodes 8 --dir /tmp/c8 --subnet 127.0.2",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			opts.Harness, opts.Out, opts.ErrOut = exe, cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runUp(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", DefaultDir, "directory holding the cluster (removed by down)")
	cmd.Flags().IntVarP(&opts.Nodes, "nodes", "n", 4, "number of nodes")
	cmd.Flags().StringVar(&opts.Prefix, "prefix", "lxb", "node name prefix (names are prefix + 3 digits)")
	cmd.Flags().StringVar(&opts.Subnet, "subnet", "127.0.1", "first three octets of the node addresses")
	cmd.Flags().BoolVar(&opts.NoAgent, "no-agent", false, "do not start the agents (start them with systemctl start mesos-slave)")
	cmd.Flags().BoolVar(&opts.Docker, "docker", false, "start a Docker engine in every node (for --containerizers=docker; /var/run/docker.sock in the node)")
	cmd.Flags().StringVar(&opts.AgentExe, "agent-exe", "", "program behind /usr/sbin/mesos-slave in the nodes (default: the mesosctl next to this binary, i.e. agentd; e.g. a real Mesos agent)")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 0, "how long each part may take to start (default 30s; 2m with --docker)")
	return cmd
}

// runUp starts the cluster; its processes outlive this command.
func runUp(opts *upOptions) error {
	if opts.Nodes < 1 || opts.Nodes > 250 {
		return usageError{fmt.Errorf("--nodes %d: want 1..250", opts.Nodes)}
	}
	// The nodes' agent is the mesosctl built next to this binary
	// (bin/mesosctl beside bin/mesosctl-testcluster), unless --agent-exe.
	mesosctl := filepath.Join(filepath.Dir(opts.Harness), "mesosctl")
	if opts.AgentExe == "" {
		if _, err := os.Stat(mesosctl); err != nil {
			return fmt.Errorf("no mesosctl next to %s to run as the nodes' agent: build it (make build testcluster) or pass --agent-exe", opts.Harness)
		}
	}
	c, err := testcluster.Start(testcluster.Options{
		Dir: opts.Dir, Nodes: opts.Nodes, Prefix: opts.Prefix, Subnet: opts.Subnet,
		Binaries: testcluster.Binaries{Mesosctl: mesosctl, Harness: opts.Harness}, AgentExe: opts.AgentExe,
		NoAgent: opts.NoAgent, Docker: opts.Docker, Timeout: opts.Timeout, Log: opts.ErrOut,
	})
	if err != nil {
		return err
	}
	names := c.NodeNames()
	set := names[0]
	if len(names) > 1 {
		set = fmt.Sprintf("%s…%s", names[0], names[len(names)-1])
	}
	out := opts.Out
	fmt.Fprintf(out, "Test cluster up in %s: %d nodes (%s), ZooKeeper %s\n\n", c.Dir, len(names), set, c.ZooKeeper)
	if line := pathExport(mesosctl); line != "" {
		fmt.Fprintf(out, "  %s\n", line)
	}
	fmt.Fprintf(out, "  export MESOSCTL_CONFIG=%s\n", c.ConfigFile)
	fmt.Fprintf(out, "  ssh -F %s %s hostname\n", c.SSHConfig, names[0])
	fmt.Fprintf(out, "  mesosctl ex %s hostname\n", nodeSet(opts.Prefix, len(names)))
	fmt.Fprintf(out, "  curl -s http://%s:%d/state | jq '{resources,attributes}'\n", c.Nodes[0].IP, c.AgentPort)
	down := "mesosctl-testcluster down"
	if c.Dir != DefaultDir {
		down += " --dir " + c.Dir
	}
	fmt.Fprintf(out, "  %s\n", down)
	return nil
}

// nodeSet renders lxb00[1-4] for prefix lxb and 4 nodes.
func nodeSet(prefix string, n int) string {
	if n == 1 {
		return testcluster.NodeName(prefix, 1)
	}
	first, last := testcluster.NodeName(prefix, 1), testcluster.NodeName(prefix, n)
	i := 0
	for i < len(first) && first[i] == last[i] {
		i++
	}
	return fmt.Sprintf("%s[%s-%s]", first[:i], first[i:], last[i:])
}

func newCmdDown() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "down",
		Example: "  $ sudo mesosctl-testcluster down\n  $ sudo mesosctl-testcluster down --dir /tmp/c8",
		Short:   "Tear a test cluster down: processes, mounts, cgroups, directory",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := testcluster.Load(dir)
			if err != nil {
				return fmt.Errorf("%w; nothing to tear down", err)
			}
			if err := c.Down(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Test cluster in %s is down.\n", c.Dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", DefaultDir, "directory of the cluster")
	return cmd
}

func newCmdStatus() *cobra.Command {
	var dir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "status",
		Example: "  $ mesosctl-testcluster status\n  $ mesosctl-testcluster status --json",
		Short:   "Show the nodes of a test cluster and whether sshd and the agent answer",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := testcluster.Load(dir)
			if err != nil {
				return err
			}
			st := c.Status()
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tADDRESS\tINIT PID\tSSHD\tAGENT")
			down := 0
			for _, n := range st.Nodes {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", n.Name, n.IP, n.InitPid, upDown(n.SSHD), upDown(n.Agent))
				if !n.SSHD || !n.Agent {
					down++
				}
			}
			fmt.Fprintf(tw, "zookeeper\t%s\t%d\t\t%s\n", strings.TrimPrefix(c.ZooKeeper, "zk://"), c.ZKPid, upDown(st.ZooKeeper))
			tw.Flush()
			if down > 0 || !st.ZooKeeper {
				return exitStatus(exitError)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", DefaultDir, "directory of the cluster")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newCmdEnv() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "env",
		Short:   "Print shell exports that point mesosctl at a test cluster",
		Example: "  $ eval \"$(mesosctl-testcluster env)\"",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := testcluster.Load(dir)
			if err != nil {
				return err
			}
			if exe, err := os.Executable(); err == nil {
				if line := pathExport(filepath.Join(filepath.Dir(exe), "mesosctl")); line != "" {
					fmt.Fprintln(cmd.OutOrStdout(), line)
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "export MESOSCTL_CONFIG=%s\n", c.ConfigFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", DefaultDir, "directory of the cluster")
	return cmd
}

// pathExport is the `export PATH=…` line that puts the directory of the
// mesosctl binary first on $PATH, or "" when `mesosctl` already finds it
// (or it does not exist).
func pathExport(mesosctl string) string {
	if _, err := os.Stat(mesosctl); err != nil {
		return ""
	}
	if found, err := exec.LookPath("mesosctl"); err == nil {
		if a, b := realPath(found), realPath(mesosctl); a == b {
			return ""
		}
	}
	return "export PATH=" + filepath.Dir(mesosctl) + ":$PATH"
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	a, _ := filepath.Abs(p)
	return a
}

func upDown(b bool) string {
	if b {
		return "up"
	}
	return "down"
}

func newCmdNodeInit() *cobra.Command {
	var spec string
	cmd := &cobra.Command{
		Use:     "node-init --spec <node.json>",
		Example: "  (started by the test cluster in new namespaces; not for people)",
		Short:   "PID 1 of a test cluster node (started by the cluster in new namespaces)",
		Hidden:  true,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return testcluster.NodeInit(spec)
		},
	}
	cmd.Flags().StringVar(&spec, "spec", "", "node.json written by the cluster")
	_ = cmd.MarkFlagRequired("spec")
	return cmd
}

func newCmdSystemctl() *cobra.Command {
	var spec string
	cmd := &cobra.Command{
		Use:     "systemctl --spec <node.json> -- <verb> <unit>...",
		Short:   "The systemctl shim inside a test cluster node",
		Example: "  $ mesosctl-testcluster systemctl --spec /tmp/mesosctl-cluster/lxb001/node.json -- restart mesos-slave",
		Hidden:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := testcluster.ReadNodeSpec(spec)
			if err != nil {
				return err
			}
			if rc := testcluster.Systemctl(s, args, cmd.OutOrStdout(), cmd.ErrOrStderr()); rc != 0 {
				return exitStatus(rc)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&spec, "spec", "", "node.json written by the cluster")
	_ = cmd.MarkFlagRequired("spec")
	return cmd
}
