package httpapi

import (
	"context"
	"sort"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// registerBuiltinCalls installs the read-only v1 calls answered from Source.
func (s *Server) registerBuiltinCalls() {
	src := s.cfg.Source
	s.HandleCall(api.CallGetHealth, func(context.Context, *api.Call) (any, error) {
		return api.GetHealth{Healthy: true}, nil
	})
	s.HandleCall(api.CallGetFlags, func(context.Context, *api.Call) (any, error) {
		flags := src.Flags()
		out := api.GetFlags{Flags: make([]api.Flag, 0, len(flags))}
		for _, k := range sortedKeys(flags) {
			out.Flags = append(out.Flags, api.Flag{Name: k, Value: flags[k]})
		}
		return out, nil
	})
	s.HandleCall(api.CallGetVersion, func(context.Context, *api.Call) (any, error) {
		v := src.Version()
		return api.GetVersion{VersionInfo: api.VersionInfo{Version: v.Version, BuildDate: v.BuildDate,
			BuildTime: api.Float(v.BuildTime), BuildUser: v.BuildUser, GitSHA: v.GitSHA,
			GitBranch: v.GitBranch, GitTag: v.GitTag}}, nil
	})
	s.HandleCall(api.CallGetMetrics, func(context.Context, *api.Call) (any, error) {
		m := src.Metrics()
		out := api.GetMetrics{Metrics: make([]api.Metric, 0, len(m))}
		for _, k := range sortedKeys(m) {
			out.Metrics = append(out.Metrics, api.Metric{Name: k, Value: api.Float(m[k])})
		}
		return out, nil
	})
	s.HandleCall(api.CallGetState, func(context.Context, *api.Call) (any, error) {
		return api.StateFromFrameworks(src.Frameworks()), nil
	})
	s.HandleCall(api.CallGetFrameworks, func(context.Context, *api.Call) (any, error) {
		return api.StateFromFrameworks(src.Frameworks()).GetFrameworks, nil
	})
	s.HandleCall(api.CallGetExecutors, func(context.Context, *api.Call) (any, error) {
		return api.StateFromFrameworks(src.Frameworks()).GetExecutors, nil
	})
	s.HandleCall(api.CallGetTasks, func(context.Context, *api.Call) (any, error) {
		return api.StateFromFrameworks(src.Frameworks()).GetTasks, nil
	})
	s.HandleCall(api.CallGetAgent, func(context.Context, *api.Call) (any, error) {
		return api.GetAgent{AgentInfo: src.AgentInfo()}, nil
	})
	s.HandleCall(api.CallGetContainers, func(_ context.Context, c *api.Call) (any, error) {
		var opts api.GetContainersCall
		if c.GetContainers != nil {
			opts = *c.GetContainers
		}
		out := api.GetContainers{Containers: []api.V1Container{}}
		for _, ct := range src.Containers() {
			if (ct.Nested() && !opts.ShowNested) || (ct.Standalone && !opts.ShowStandalone) {
				continue
			}
			out.Containers = append(out.Containers, ct.V1())
		}
		return out, nil
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
