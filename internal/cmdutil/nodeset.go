package cmdutil

import (
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/nodeset"
)

// AddExcludeFlag registers -x/--exclude NODESET (repeatable) on cmd, with
// completion of node names and @groups.
func AddExcludeFlag(f *Factory, cmd *cobra.Command, exclude *[]string) {
	cmd.Flags().StringArrayVarP(exclude, "exclude", "x", nil, "leave out these nodes (a node set; repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("exclude", NodeSetCompletion(f))
}

// ExpandNodeSet turns a command's NODESET arguments (or $NODES when there
// are none) minus exclude into node names, resolving @groups from the
// inventory only when the expression uses one. Errors are usage errors.
func ExpandNodeSet(f *Factory, args, exclude []string) ([]string, error) {
	getenv := f.Getenv
	expr, err := nodeset.FromArgsOrEnv(args, getenv)
	if err != nil {
		return nil, UsageError(err)
	}
	names, err := nodeset.ExpandExclude(expr, exclude, LazyGroups(f))
	if err != nil {
		return nil, UsageError(err)
	}
	if len(names) == 0 {
		if len(exclude) > 0 {
			return nil, FlagErrorf("node set %q without %q is empty", expr, strings.Join(exclude, ","))
		}
		return nil, FlagErrorf("node set %q is empty", expr)
	}
	return names, nil
}

// LazyGroups returns a group resolver that loads the inventory on first
// use, so that node sets without @groups work without a configuration.
// @failed and @succeeded are the nodes of the last fan-out by outcome
// (StateGroups), whatever the inventory says.
func LazyGroups(f *Factory) nodeset.GroupResolver {
	return func(name string) ([]string, error) {
		if slices.Contains(StateGroups, name) {
			getenv := f.Getenv
			if getenv == nil {
				getenv = os.Getenv
			}
			return stateGroup(getenv, name)
		}
		inv, err := f.Inventory()
		if err != nil {
			return nil, err
		}
		return inv.GroupResolver()(name)
	}
}

// NodeSetCompletion completes NODESET arguments (and -x values) with the
// inventory's node names and @groups. It completes the last element of a
// comma list, so "lxb001,lx<TAB>" works.
func NodeSetCompletion(f *Factory) func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if f.ConfigOptions.Path == "" {
			// completion runs without the root's PersistentPreRunE
			if p, err := cmd.Flags().GetString("config"); err == nil {
				f.ConfigOptions.Path = p
			}
		}
		inv, err := f.Inventory()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
		}
		cut := strings.LastIndexAny(toComplete, ",!")
		prefix, word := toComplete[:cut+1], toComplete[cut+1:]
		var out []string
		if strings.HasPrefix(word, "@") {
			groups := inv.Groups()
			if !slices.Contains(groups, "all") {
				groups = append(groups, "all")
			}
			for _, g := range groups {
				if strings.HasPrefix("@"+g, word) {
					out = append(out, prefix+"@"+g)
				}
			}
		} else {
			for _, n := range inv.Names() {
				if strings.HasPrefix(n, word) {
					out = append(out, prefix+n)
				}
			}
			if word == "" {
				for _, g := range inv.Groups() {
					out = append(out, prefix+"@"+g)
				}
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// MinimumArgs is cobra.MinimumNArgs returning a usage error (exit 2) with
// msg, e.g. "name at least one IP address".
func MinimumArgs(n int, msg string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return FlagErrorf("%s", msg)
		}
		return nil
	}
}
