// Package sshmux implements `mesosctl ssh-mux status|stop` and the hidden
// `ssh-mux serve`: the background process that keeps SSH connections open
// between runs (internal/sshkeep).
package sshmux

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/render"
	"github.com/mesosctl/mesosctl/internal/sshkeep"
)

// NewCmdSSHMux builds `mesosctl ssh-mux` and its subcommands.
func NewCmdSSHMux(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ssh-mux <command>",
		Short: "Show or stop the process that keeps SSH connections open between runs",
		Long: `mesosctl keeps the SSH connections of a fan-out (ex, agent ps, tree) open
in a background process, 'mesosctl ssh-mux serve', for defaults.ssh_persist
(default 10m) after its last use, so that the next run on the same nodes
skips the connect, key exchange and login, like OpenSSH's ControlPersist.
It starts on demand. Its socket is $XDG_RUNTIME_DIR/mesosctl/` + sshkeep.SocketName + `
(else /tmp/mesosctl-UID/), mode 0600 in a 0700 directory; host keys are
checked again on every reuse. Nodes whose ssh_config names a ControlPath
with a live OpenSSH master go through that master instead.
--no-reuse, or ssh_persist: 0, turns it off.`,
		Example: "  $ mesosctl ssh-mux status\n  $ mesosctl ssh-mux stop",
		GroupID: "nodes",
	}
	cmd.AddCommand(newCmdStatus(f), newCmdStop(f), newCmdServe(f))
	return cmd
}

func dir(f *cmdutil.Factory) string {
	getenv := f.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return sshkeep.Dir(getenv)
}

func newCmdStatus(f *cmdutil.Factory) *cobra.Command {
	var out render.Options
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the ssh-mux process and the connections it keeps",
		Example: `  # Which nodes have a kept connection, and for how long
  $ mesosctl ssh-mux status

  $ mesosctl ssh-mux status -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.Validate(); err != nil {
				return cmdutil.UsageError(err)
			}
			d := dir(f)
			st, err := sshkeep.GetStatus(d)
			if errors.Is(err, sshkeep.ErrNotRunning) {
				if out.IsStructured() {
					return out.Print(f.IOStreams, map[string]any{"running": false, "socket": sshkeep.Socket(d)}, nil)
				}
				fmt.Fprintf(f.IOStreams.Out, "not running (socket %s)\n", sshkeep.Socket(d))
				return nil
			}
			if err != nil {
				return err
			}
			if out.IsStructured() {
				return out.Print(f.IOStreams, map[string]any{"running": true, "pid": st.PID, "socket": st.Socket,
					"started": st.Started, "persist": st.Persist.String(), "idle_since": st.IdleSince,
					"commands_running": st.Running, "connections": st.Connections}, nil)
			}
			w := f.IOStreams.Out
			fmt.Fprintf(w, "running: pid %d, socket %s, up %s\n", st.PID, st.Socket, time.Since(st.Started).Round(time.Second))
			if st.IdleSince != nil {
				left := st.Persist - time.Since(*st.IdleSince)
				fmt.Fprintf(w, "idle for %s: exits in %s (ssh_persist %s)\n", time.Since(*st.IdleSince).Round(time.Second),
					max(left, 0).Round(time.Second), st.Persist)
			} else {
				fmt.Fprintf(w, "running %d commands\n", st.Running)
			}
			fmt.Fprintf(w, "%d connections\n", len(st.Connections))
			for _, c := range st.Connections {
				fmt.Fprintf(w, "  %s\n", c)
			}
			return nil
		},
	}
	render.AddOutputFlags(cmd, &out)
	return cmd
}

func newCmdStop(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "stop",
		Short: "Close the kept SSH connections and stop the ssh-mux process",
		Example: `  # Drop every kept connection (the next fan-out connects afresh)
  $ mesosctl ssh-mux stop`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			d := dir(f)
			err := sshkeep.Stop(d)
			if errors.Is(err, sshkeep.ErrNotRunning) {
				fmt.Fprintln(f.IOStreams.ErrOut, "not running")
				return nil
			}
			if err != nil {
				return err
			}
			// Wait until it has let go of its socket.
			for range 100 {
				if _, err := sshkeep.GetStatus(d); err != nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			fmt.Fprintln(f.IOStreams.ErrOut, "stopped")
			return nil
		},
	}
}

func newCmdServe(f *cmdutil.Factory) *cobra.Command {
	var persist time.Duration
	var d string
	cmd := &cobra.Command{
		Use:    "serve",
		Short:  "Run the ssh-mux process (started by the fan-out commands on demand)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if d == "" {
				d = dir(f)
			}
			sshkeep.TuneMemory(os.Getenv)
			s := &sshkeep.Server{Dir: d, Persist: persist, Log: log.New(f.IOStreams.ErrOut, "ssh-mux: ", log.LstdFlags)}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			err := s.Serve(ctx)
			if errors.Is(err, sshkeep.ErrRunning) {
				return nil // another one won the race
			}
			return err
		},
	}
	cmd.Flags().DurationVar(&persist, "persist", sshkeep.DefaultPersist, "exit after this long without commands")
	cmd.Flags().StringVar(&d, "dir", "", "socket directory (default $XDG_RUNTIME_DIR/mesosctl or /tmp/mesosctl-UID)")
	return cmd
}
