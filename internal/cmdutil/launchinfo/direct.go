package launchinfo

import (
	"fmt"
	"os"
	"strings"

	"github.com/mesosctl/mesosctl/internal/agentd/executor"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
)

// Direct runs agentd's per-task helper processes, `containerizer launch
// --launch_info=X` and `executor --launch_info=X` (args without the program
// name), without building the command tree: two of them run for every
// task, so they start on the shortest path the binary has (no cobra, no
// configuration, no signal context). ok is false for any
// other arguments, which then go through the command tree as usual (with
// its usage errors and help).
func Direct(args []string) (code int, ok bool) {
	var run func(*launcher.Info) int
	var rest []string
	switch {
	case len(args) == 3 && args[0] == "containerizer" && args[1] == "launch":
		run, rest = launcher.Run, args[2:]
	case len(args) == 2 && args[0] == "executor":
		run, rest = executor.Run, args[1:]
	default:
		return 0, false
	}
	arg, found := strings.CutPrefix(rest[0], "--launch_info=")
	if !found || arg == "" {
		return 0, false
	}
	if launcher.IsWarm() {
		// Pre-started by agentd: the launch info exists only after the
		// "go" (launcher.WarmEnv).
		if args[0] == "executor" {
			return executor.RunWarm(arg), true
		}
		return launcher.RunWarm(arg), true
	}
	i, err := launcher.Load(arg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %s\n", err)
		return 1, true
	}
	return run(i), true
}
