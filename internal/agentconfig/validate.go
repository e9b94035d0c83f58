package agentconfig

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mesosctl/mesosctl/internal/mesos"
)

// Containerizers are the values --containerizers accepts.
var Containerizers = []string{"mesos", "docker"}

// ValidateFlag checks value against what the Mesos agent accepts for flag
// (the resource and attribute grammar, the containerizer names, the
// reconfiguration policies, ports, booleans and durations), so that a bad
// value is refused before any node is touched. Flags it does not know are
// accepted as they are, except for line breaks (a flag file holds one line).
func ValidateFlag(flag, value string) error {
	if !validFlagName(flag) {
		return fmt.Errorf("%q is not an agent flag name (letters, digits and _ only, e.g. containerizers)", flag)
	}
	if strings.ContainsAny(value, "\n\r\x00") && flag != "attributes" {
		return fmt.Errorf("--%s: the value must be one line", flag)
	}
	switch flag {
	case "attributes":
		if _, err := mesos.ParseAttributes(value); err != nil {
			return fmt.Errorf("--attributes=%q: %v", value, err)
		}
	case "resources":
		if _, err := mesos.ParseResources(value, "*"); err != nil {
			return fmt.Errorf("--resources=%q: %v", value, err)
		}
	case "containerizers":
		if err := validateContainerizers(value); err != nil {
			return err
		}
	case "reconfiguration_policy":
		if value != mesos.PolicyEqual && value != mesos.PolicyAdditive {
			return fmt.Errorf("--reconfiguration_policy=%q: use %q or %q", value, mesos.PolicyEqual, mesos.PolicyAdditive)
		}
	case "port":
		if n, err := strconv.Atoi(value); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("--port=%q: want a port number 1-65535", value)
		}
	case "work_dir":
		if !strings.HasPrefix(value, "/") {
			return fmt.Errorf("--work_dir=%q: want an absolute path", value)
		}
	}
	return nil
}

func validateContainerizers(value string) error {
	if value == "" {
		return fmt.Errorf("--containerizers: give at least one of %s", strings.Join(Containerizers, ","))
	}
	seen := map[string]bool{}
	for _, c := range strings.Split(value, ",") {
		ok := false
		for _, k := range Containerizers {
			ok = ok || c == k
		}
		if !ok {
			return fmt.Errorf("--containerizers=%q: unknown containerizer %q (use a comma list of %s)", value, c, strings.Join(Containerizers, ", "))
		}
		if seen[c] {
			return fmt.Errorf("--containerizers=%q: %q is listed twice", value, c)
		}
		seen[c] = true
	}
	return nil
}

func validFlagName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// MergeAttributes returns old with set applied (a key in set replaces every
// attribute of that name in old, in place; new keys are appended) and the
// keys in remove dropped, in --attributes syntax.
func MergeAttributes(old string, set mesos.Attributes, remove []string) (string, error) {
	cur, err := mesos.ParseAttributes(old)
	if err != nil {
		return "", fmt.Errorf("the current attributes %q do not parse: %v", old, err)
	}
	drop := map[string]bool{}
	for _, k := range remove {
		drop[k] = true
	}
	setBy := map[string]mesos.Attribute{}
	for _, a := range set {
		setBy[a.Name] = a
	}
	var out mesos.Attributes
	done := map[string]bool{}
	for _, a := range cur {
		if drop[a.Name] {
			continue
		}
		if n, ok := setBy[a.Name]; ok {
			if !done[a.Name] {
				out = append(out, n)
				done[a.Name] = true
			}
			continue
		}
		out = append(out, a)
	}
	for _, a := range set {
		if !done[a.Name] && !drop[a.Name] {
			out = append(out, a)
			done[a.Name] = true
		}
	}
	return out.String(), nil
}
