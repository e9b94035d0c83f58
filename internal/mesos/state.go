package mesos

// Helpers shaped for the agent's /state document.

// ReservedSummary is /state "reserved_resources": {role: summary}, never nil
// (an agent without reservations shows {}). encoding/json sorts the roles.
func (r Resources) ReservedSummary() map[string]Summary {
	out := map[string]Summary{}
	for role, rs := range r.ByRole() {
		out[role] = rs.Summary()
	}
	return out
}

// ReservedFull is /state "reserved_resources_full": {role: [Resource]}, never nil.
func (r Resources) ReservedFull() map[string][]FullResource {
	out := map[string][]FullResource{}
	for role, rs := range r.ByRole() {
		out[role] = rs.Full()
	}
	return out
}

// Equal reports whether r and o hold the same resources per name and role,
// ignoring order, duplicates and zero-valued entries.
func (r Resources) Equal(o Resources) bool {
	return r.Contains(o) && o.Contains(r)
}
