package agentd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/httpapi"
	"github.com/mesosctl/mesosctl/internal/mesos"
)

// liveAttributes holds the agent's attributes once they have been changed
// through the live attribute API (api.AttributesPath); until then the
// start-up attributes (Agent.info) apply.
type liveAttributes struct {
	mu      sync.RWMutex
	changed bool
	attrs   mesos.Attributes
	text    string // --attributes form, for /flags
}

// attributes returns the agent's current attributes.
func (a *Agent) attributes() mesos.Attributes {
	a.live.mu.RLock()
	defer a.live.mu.RUnlock()
	if a.live.changed {
		return a.live.attrs
	}
	return a.info.Attributes
}

// agentInfo returns the agent info with the current attributes.
func (a *Agent) agentInfo() mesos.AgentInfo {
	info := a.info
	info.Attributes = a.attributes()
	return info
}

// flagMap is cfg.Flags.Map() with "attributes" showing the live value.
func (a *Agent) flagMap() map[string]string {
	m := a.cfg.Flags.Map()
	a.live.mu.RLock()
	defer a.live.mu.RUnlock()
	if a.live.changed {
		if a.live.text == "" {
			delete(m, "attributes")
		} else {
			m["attributes"] = a.live.text
		}
	}
	return m
}

// registerAttributeAPI adds GET/POST api.AttributesPath to the server.
func (a *Agent) registerAttributeAPI(s *httpapi.Server) {
	s.Handle(api.AttributesPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			writeAttrJSON(w, http.StatusOK, a.attributesDoc())
		case http.MethodPost:
			if !s.Authenticate(w, r, httpapi.RealmReadwrite) {
				return
			}
			if !s.Recovered() {
				writeAttrError(w, http.StatusServiceUnavailable, "Agent has not finished recovery")
				return
			}
			a.serveSetAttributes(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeAttrError(w, http.StatusMethodNotAllowed, "Expecting GET or POST, received '"+r.Method+"'")
		}
	}))
}

func (a *Agent) attributesDoc() api.Attributes {
	attrs := a.attributes()
	return api.Attributes{AgentID: a.id, Attributes: attrs.String(), Object: attrs.V0JSON()}
}

func (a *Agent) serveSetAttributes(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeAttrError(w, http.StatusBadRequest, "Failed to read request body: "+err.Error())
		return
	}
	var req api.SetAttributes
	if len(bytes.TrimSpace(body)) == 0 {
		writeAttrError(w, http.StatusBadRequest, `Expecting a JSON body like {"attributes":"os:centos7;rack:3"}: empty body`)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeAttrError(w, http.StatusBadRequest, `Expecting a JSON body like {"attributes":"os:centos7;rack:3"}: `+err.Error())
		return
	}
	attrs, err := mesos.ParseAttributes(req.Attributes)
	if err != nil {
		writeAttrError(w, http.StatusBadRequest, fmt.Sprintf("Invalid attributes %q: %v", req.Attributes, err))
		return
	}
	if err := a.SetAttributes(attrs, req.Attributes); err != nil {
		writeAttrError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeAttrJSON(w, http.StatusOK, a.attributesDoc())
}

// SetAttributes replaces the agent's attributes while it runs: it
// checkpoints them into meta/slaves/<id>/slave.info first (atomically; on
// failure nothing changes), then serves them, then updates the ZooKeeper
// registration. text is the --attributes form shown by /flags.
func (a *Agent) SetAttributes(attrs mesos.Attributes, text string) error {
	a.live.mu.Lock()
	info := a.info
	info.Attributes = attrs
	path := filepath.Join(a.cfg.WorkDir, "meta", "slaves", a.id, "slave.info")
	if err := writeAgentInfo(path, a.id, info); err != nil {
		a.live.mu.Unlock()
		return fmt.Errorf("Failed to checkpoint the new attributes to '%s' (nothing changed): %v", path, err)
	}
	a.live.changed, a.live.attrs, a.live.text = true, attrs, text
	a.live.mu.Unlock()
	a.log.Info("Agent attributes changed through the live attribute API: [ " + attrs.String() + " ]")
	a.mu.Lock()
	reg := a.reg
	a.mu.Unlock()
	if err := reg.Update(a.zkInfo()); err != nil {
		a.log.Warn("ZooKeeper registration not updated (it will be on re-registration)", "err", err)
	}
	return nil
}

func writeAttrJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeAttrError(w http.ResponseWriter, status int, msg string) {
	writeAttrJSON(w, status, api.AttributesError{Error: msg})
}
