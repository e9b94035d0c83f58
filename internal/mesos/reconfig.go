package mesos

import (
	"fmt"
	"strings"
)

// Reconfiguration policies (--reconfiguration_policy).
const (
	PolicyEqual    = "equal"
	PolicyAdditive = "additive"
)

// AgentInfo is the part of SlaveInfo an agent checkpoints and compares on
// restart. Domain is an opaque text form of the fault domain ("" = unset).
type AgentInfo struct {
	Hostname   string
	Port       int
	Resources  Resources
	Attributes Attributes
	Domain     string
}

// ReconfigurationError lists every change the policy does not allow.
type ReconfigurationError struct {
	Policy  string
	Changes []string
}

func (e *ReconfigurationError) Error() string {
	return fmt.Sprintf("agent configuration changed in a way --reconfiguration_policy=%s does not allow: %s",
		e.Policy, strings.Join(e.Changes, "; "))
}

// CheckReconfiguration compares the checkpointed agent info with the one
// computed at start-up under policy "equal" (default when empty: hostname,
// port, domain, resources and attributes must all be unchanged, in any order)
// or "additive" (hostname and port unchanged; domain may only go from unset
// to set; every old resource must still exist per name and role with the same
// type and SCALAR ≥, RANGES/SET ⊇; every old attribute must still exist with
// the same type, SCALAR and TEXT equal, RANGES ⊇; new ones are allowed).
// The error is a *ReconfigurationError naming each offending change.
func CheckReconfiguration(policy string, old, new AgentInfo) error {
	if policy == "" {
		policy = PolicyEqual
	}
	if policy != PolicyEqual && policy != PolicyAdditive {
		return fmt.Errorf("unknown --reconfiguration_policy %q (want %q or %q)", policy, PolicyEqual, PolicyAdditive)
	}
	equal := policy == PolicyEqual
	var ch []string
	if old.Hostname != new.Hostname {
		ch = append(ch, fmt.Sprintf("hostname changed from %q to %q", old.Hostname, new.Hostname))
	}
	if old.Port != new.Port {
		ch = append(ch, fmt.Sprintf("port changed from %d to %d", old.Port, new.Port))
	}
	if old.Domain != new.Domain && (equal || old.Domain != "") {
		ch = append(ch, fmt.Sprintf("domain changed from %q to %q", old.Domain, new.Domain))
	}

	oldR, newR := old.Resources.NonEmpty(), new.Resources.NonEmpty()
	for _, o := range oldR {
		i := newR.index(o.Name, o.Role)
		if i < 0 {
			ch = append(ch, fmt.Sprintf("resource %s removed (was %s)", key(o), o.Value))
			continue
		}
		n := newR[i]
		switch {
		case n.Value.Type != o.Value.Type:
			ch = append(ch, fmt.Sprintf("resource %s changed type from %s to %s", key(o), o.Value.Type, n.Value.Type))
		case equal && !n.Value.Equal(o.Value), !equal && !n.Value.Contains(o.Value):
			ch = append(ch, fmt.Sprintf("resource %s changed %s → %s", key(o), o.Value, n.Value))
		}
	}
	if equal {
		for _, n := range newR {
			if oldR.index(n.Name, n.Role) < 0 {
				ch = append(ch, fmt.Sprintf("resource %s added (%s)", key(n), n.Value))
			}
		}
	}

	for _, o := range old.Attributes {
		var same []Value // values of new attributes with this name
		for _, n := range new.Attributes {
			if n.Name == o.Name {
				same = append(same, n.Value)
			}
		}
		if len(same) == 0 {
			ch = append(ch, fmt.Sprintf("attribute %q removed (was %s)", o.Name, o.Value))
			continue
		}
		ok := false
		var sameType []Value
		for _, n := range same {
			if n.Type != o.Value.Type {
				continue
			}
			sameType = append(sameType, n)
			if n.Equal(o.Value) || (!equal && o.Value.Type == Ranges && n.Contains(o.Value)) {
				ok = true
			}
		}
		switch {
		case ok:
		case len(sameType) == 0:
			ch = append(ch, fmt.Sprintf("attribute %q changed type from %s to %s (%s → %s)", o.Name, o.Value.Type, same[0].Type, o.Value, same[0]))
		default:
			ch = append(ch, fmt.Sprintf("attribute %q changed from %s to %s", o.Name, o.Value, sameType[0]))
		}
	}
	if equal {
		for _, n := range new.Attributes {
			if _, ok := old.Attributes.Get(n.Name); !ok {
				ch = append(ch, fmt.Sprintf("attribute %q added (%s)", n.Name, n.Value))
			}
		}
		if len(ch) == 0 && !sameAttributes(old.Attributes, new.Attributes) {
			ch = append(ch, fmt.Sprintf("attributes changed from %q to %q", old.Attributes, new.Attributes))
		}
	}
	if len(ch) > 0 {
		return &ReconfigurationError{Policy: policy, Changes: ch}
	}
	return nil
}

func key(r Resource) string {
	role := r.Role
	if role == "" {
		role = UnreservedRole
	}
	return r.Name + "(" + role + ")"
}

// sameAttributes compares attribute lists as multisets (duplicate names included).
func sameAttributes(a, b Attributes) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
	for _, x := range a {
		found := false
		for j, y := range b {
			if !used[j] && x.Name == y.Name && x.Value.Equal(y.Value) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
