package api

import "encoding/json"

// PlacementPath is agentd's compact placement view (not Apache Mesos'):
//
//	GET /mesosctl/v1/placement → Placement
//
// It holds exactly what `mesosctl exec` needs of an agent to place a task
// (its ID, hostname, resources, what is allocated, attributes and
// containerizers), with the same names and values as /state, which is
// the whole state with every task and status (about 1 MB at 1,000 tasks).
// Readonly realm; 503 until the agent has recovered. Apache Mesos agents
// answer 404, and mesosctl reads their /state instead.
const PlacementPath = "/mesosctl/v1/placement"

// Placement is the GET PlacementPath document: the /state fields of the
// same names, and Containerizers = /state's flags.containerizers.
type Placement struct {
	ID                           string                     `json:"id"`
	Hostname                     string                     `json:"hostname"`
	Resources                    json.RawMessage            `json:"resources"`
	UnreservedResources          json.RawMessage            `json:"unreserved_resources"`
	UnreservedResourcesAllocated json.RawMessage            `json:"unreserved_resources_allocated"`
	ReservedResources            map[string]json.RawMessage `json:"reserved_resources"`
	ReservedResourcesAllocated   map[string]json.RawMessage `json:"reserved_resources_allocated"`
	Attributes                   json.RawMessage            `json:"attributes"`
	Containerizers               string                     `json:"containerizers"`
}

// State returns p as the part of /state it is.
func (p *Placement) State() *State {
	return &State{ID: p.ID, Hostname: p.Hostname, Resources: p.Resources,
		UnreservedResources: p.UnreservedResources, UnreservedResourcesAllocated: p.UnreservedResourcesAllocated,
		ReservedResources: p.ReservedResources, ReservedResourcesAllocated: p.ReservedResourcesAllocated,
		Attributes: p.Attributes, Flags: map[string]string{"containerizers": p.Containerizers}}
}
