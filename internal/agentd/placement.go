package agentd

import (
	"encoding/json"
	"net/http"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/httpapi"
)

// registerPlacementAPI adds GET api.PlacementPath to the server.
func (a *Agent) registerPlacementAPI(s *httpapi.Server) {
	s.Handle("GET "+api.PlacementPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, r, http.StatusOK, a.Placement())
	}))
}

// Placement is the compact placement view (api.PlacementPath): the
// fields of State that placement reads, without the frameworks.
func (a *Agent) Placement() api.Placement {
	res := a.info.Resources
	alloc := a.rt.Allocated()
	p := api.Placement{ID: a.id, Hostname: a.info.Hostname, Resources: res.SummaryJSON(),
		UnreservedResources:          res.Unreserved().SummaryJSON(),
		UnreservedResourcesAllocated: alloc.Unreserved().SummaryJSON(),
		ReservedResources:            map[string]json.RawMessage{},
		ReservedResourcesAllocated:   map[string]json.RawMessage{},
		Attributes:                   a.attributes().V0JSON(),
		Containerizers:               a.cfg.Flags.String("containerizers")}
	for role, r := range res.ByRole() {
		p.ReservedResources[role] = r.SummaryJSON()
	}
	for role, r := range alloc.ByRole() {
		p.ReservedResourcesAllocated[role] = r.SummaryJSON()
	}
	return p
}
