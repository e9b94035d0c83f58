package cmdutil

import (
	"fmt"
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
	usesGroups := strings.Contains(expr+strings.Join(exclude, ","), "@")
	if err != nil {
		if usesGroups && !HasConfig(f) {
			return nil, NoConfig(err.Error())
		}
		return nil, UsageError(err)
	}
	if len(names) == 0 && usesGroups && !HasConfig(f) {
		return nil, NoConfig(fmt.Sprintf("node set %q names the inventory's groups", expr))
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
// inventory's node names and @groups (@all included). It completes the last
// element of a list, so "lxb001,lx<TAB>" works, and does not offer again
// what the list already names ("lxb00[1-2],<TAB>" offers lxb003…). An
// empty word offers the groups with the names, without typing "@" first.
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
		cut := strings.LastIndexAny(toComplete, ",!&^")
		prefix, word := toComplete[:cut+1], toComplete[cut+1:]
		typed := map[string]bool{}
		for _, w := range strings.FieldsFunc(prefix, func(r rune) bool { return strings.ContainsRune(",!&^", r) }) {
			typed[w] = true
			if names, err := nodeset.Expand(w, inv.GroupResolver()); err == nil {
				for _, n := range names {
					typed[n] = true
				}
			}
		}
		groups := inv.Groups()
		if !slices.Contains(groups, "all") {
			groups = append(groups, "all")
		}
		var out []string
		if !strings.HasPrefix(word, "@") {
			for _, n := range inv.Names() {
				if strings.HasPrefix(n, word) && !typed[n] {
					out = append(out, prefix+n)
				}
			}
		}
		if word == "" || strings.HasPrefix(word, "@") {
			for _, g := range groups {
				if strings.HasPrefix("@"+g, word) && !typed["@"+g] {
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

// OutsideInventory returns, for each of names that the inventory does not
// list, the note that says so ("not in the inventory (/etc/mesosctl.yaml)",
// to follow the node's name), and prints one line about them on stderr: they
// are still reached, through ssh_config and DNS. Without an inventory (no
// configuration, or one without nodes) every name is reached that way and
// nothing is noted.
func OutsideInventory(f *Factory, names []string) map[string]string {
	inv, err := f.Inventory()
	if err != nil || len(inv.Names()) == 0 {
		return nil
	}
	known := map[string]bool{}
	for _, n := range inv.Names() {
		known[n] = true
	}
	var out map[string]string
	var outside []string
	for _, n := range names {
		if !known[n] {
			if out == nil {
				out = map[string]string{}
			}
			out[n] = fmt.Sprintf("not in the inventory (%s)", inv.Config().Path)
			outside = append(outside, n)
		}
	}
	if len(outside) > 0 && f.IOStreams != nil {
		verb, pronoun := "are", "them"
		if len(outside) == 1 {
			verb, pronoun = "is", "it"
		}
		fmt.Fprintf(f.IOStreams.ErrOut, "mesosctl: %s %s not in the inventory (%s): reaching %s through ssh_config/DNS\n",
			nodeset.Fold(outside), verb, inv.Config().Path, pronoun)
	}
	return out
}

// OutsideError is err, the failure to reach a node outside the inventory,
// with the note that says so (see OutsideInventory): the user learns both
// that the name is not in the inventory and why ssh_config/DNS failed.
func OutsideError(note string, err error) error {
	if note == "" || err == nil {
		return err
	}
	return fmt.Errorf("%s, and reaching it through ssh_config/DNS failed: %w", note, err)
}
