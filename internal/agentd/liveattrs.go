package agentd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/atomicfile"
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
	return a.agentInfoLocked().Attributes
}

// agentInfoLocked is agentInfo with a.live.mu held.
func (a *Agent) agentInfoLocked() mesos.AgentInfo {
	info := a.info
	if a.live.changed {
		info.Attributes = a.live.attrs
	}
	return info
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
		case http.MethodPost: // the server requires the readwrite realm for POST
			a.serveSetAttributes(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeAttrError(w, http.StatusMethodNotAllowed, "Expecting GET or POST, received '"+r.Method+"'")
		}
	}))
}

func (a *Agent) attributesDoc() api.Attributes {
	attrs := a.attributes()
	doc := api.Attributes{AgentID: a.id, Attributes: attrs.String(), Object: attrs.V0JSON(),
		ConfigDir: a.cfg.Flags.String("config_dir")}
	if doc.ConfigDir != "" {
		if b, err := os.ReadFile(filepath.Join(doc.ConfigDir, "attributes")); err == nil {
			s := strings.TrimRight(string(b), "\n")
			doc.File = &s
		}
	}
	return doc
}

func (a *Agent) serveSetAttributes(w http.ResponseWriter, r *http.Request) {
	body, status, err := httpapi.ReadBody(w, r, 1<<20)
	if err != nil {
		writeAttrError(w, status, err.Error())
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
	flagFile := ""
	if req.Persist {
		dir := a.cfg.Flags.String("config_dir")
		if dir == "" {
			writeAttrError(w, http.StatusBadRequest, "Cannot persist: the agent runs without --config_dir")
			return
		}
		flagFile = filepath.Join(dir, "attributes")
		if fi, err := os.Stat(flagFile); err == nil && fi.IsDir() {
			writeAttrError(w, http.StatusConflict, "Cannot persist: "+flagFile+" is a directory (one file per key)")
			return
		}
	}
	if err := a.setAttributes(attrs, req.Attributes, flagFile); err != nil {
		writeAttrError(w, http.StatusInternalServerError, err.Error())
		return
	}
	doc := a.attributesDoc()
	doc.Persisted = flagFile
	writeAttrJSON(w, http.StatusOK, doc)
}

// SetAttributes replaces the agent's attributes while it runs: it
// checkpoints them into meta/slaves/<id>/slave.info first (atomically; on
// failure nothing changes), then serves them, then updates the ZooKeeper
// registration. text is the --attributes form shown by /flags.
func (a *Agent) SetAttributes(attrs mesos.Attributes, text string) error {
	return a.setAttributes(attrs, text, "")
}

// setAttributes is SetAttributes that also writes text to flagFile (when
// not ""), rolling the checkpoint back if that fails.
func (a *Agent) setAttributes(attrs mesos.Attributes, text, flagFile string) error {
	a.live.mu.Lock()
	info := a.agentInfoLocked()
	old := info
	info.Attributes = attrs
	path := filepath.Join(a.cfg.WorkDir, "meta", "slaves", a.id, "slave.info")
	if err := writeAgentInfo(path, a.id, info); err != nil {
		a.live.mu.Unlock()
		return fmt.Errorf("Failed to checkpoint the new attributes to '%s' (nothing changed): %v", path, err)
	}
	if flagFile != "" {
		if err := atomicfile.WriteFile(flagFile, []byte(text+"\n"), 0o644); err != nil {
			rerr := writeAgentInfo(path, a.id, old)
			a.live.mu.Unlock()
			if rerr != nil {
				return fmt.Errorf("Failed to write '%s' (%v) and to restore '%s' (%v)", flagFile, err, path, rerr)
			}
			return fmt.Errorf("Failed to write '%s' (nothing changed): %v", flagFile, err)
		}
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
