package cmdutil

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"
)

// AddNegations gives every boolean flag of fs stout's negated form, as
// Mesos programs accept it: --no-shell is --shell=false. The negations are
// hidden from help; --no-NAME=VALUE is refused with stout's message.
func AddNegations(fs *pflag.FlagSet) {
	var bools []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Value.Type() == "bool" && fs.Lookup("no-"+f.Name) == nil {
			bools = append(bools, f)
		}
	})
	for _, f := range bools {
		neg := fs.VarPF(negation{f}, "no-"+f.Name, "", "--"+f.Name+"=false")
		neg.NoOptDefVal = "true"
		neg.Hidden = true
	}
}

// negation sets its flag to false.
type negation struct{ flag *pflag.Flag }

func (n negation) String() string { return "false" }
func (n negation) Type() string   { return "bool" }
func (n negation) IsBoolFlag() bool {
	return true
}

func (n negation) Set(v string) error {
	if b, err := strconv.ParseBool(v); err != nil || !b {
		return fmt.Errorf("Failed to load boolean flag '%s' via 'no-%s' with value '%s'", n.flag.Name, n.flag.Name, v)
	}
	if err := n.flag.Value.Set("false"); err != nil {
		return err
	}
	n.flag.Changed = true
	return nil
}
