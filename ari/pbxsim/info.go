package pbxsim

import (
	"net/http"
	"strings"
)

// asteriskConstants are the read-only global variables Asterisk has.
var asteriskConstants = map[string]string{
	"ASTETCDIR":    "/etc/asterisk",
	"ASTMODDIR":    "/usr/lib/asterisk/modules",
	"ASTVARLIBDIR": "/var/lib/asterisk",
	"ASTDATADIR":   "/var/lib/asterisk",
	"ASTDBDIR":     "/var/lib/asterisk",
	"ASTKEYDIR":    "/var/lib/asterisk",
	"ASTAGIDIR":    "/var/lib/asterisk/agi-bin",
	"ASTSPOOLDIR":  "/var/spool/asterisk",
	"ASTRUNDIR":    "/var/run/asterisk",
	"ASTLOGDIR":    "/var/log/asterisk",
	"ASTSBINDIR":   "/usr/sbin",
}

func hAsteriskInfo(s *Server, w http.ResponseWriter, _ *http.Request, p params, _ []string) {
	start := ariTime(s.started)
	sections := map[string]any{
		"build": object{
			{"os", "Linux"}, {"kernel", "6.1.0"}, {"machine", "x86_64"}, {"options", "OPTIONAL_API"},
			{"date", s.started.UTC().Format("2006-01-02 15:04:05 UTC")}, {"user", "root"},
		},
		"system": object{{"version", AsteriskVersion}, {"entity_id", s.asteriskID}},
		"config": object{
			{"name", ""}, {"default_language", "en"},
			{"setid", object{{"user", ""}, {"group", ""}}}, {"max_open_files", 8192},
		},
		"status": object{{"startup_time", start}, {"last_reload_time", start}},
	}
	only := map[string]bool{}
	for _, o := range p.list("only") {
		only[o] = true
	}
	var out object
	for _, name := range []string{"build", "system", "config", "status"} {
		if len(only) == 0 || only[name] {
			out = append(out, kv{name, sections[name]})
		}
	}
	if out == nil {
		out = object{}
	}
	writeJSON(w, http.StatusOK, out)
}

func hAsteriskPing(s *Server, w http.ResponseWriter, _ *http.Request, _ params, _ []string) {
	writeJSON(w, http.StatusOK, object{
		{"ping", "pong"}, {"timestamp", ariTime(s.clock.Now())}, {"asterisk_id", s.asteriskID},
	})
}

func hAsteriskVarGet(s *Server, w http.ResponseWriter, _ *http.Request, p params, _ []string) {
	name := p.get("variable")
	if name == "" {
		writeError(w, http.StatusBadRequest, "Variable name is required")
		return
	}
	s.mu.Lock()
	v, ok := s.globals[name]
	s.mu.Unlock()
	if !ok {
		v = asteriskConstants[name]
		if name == "ENTITYID" {
			v = s.asteriskID
		}
	}
	// Asterisk answers an unset global with an empty value.
	writeJSON(w, http.StatusOK, map[string]string{"value": v})
}

func hAsteriskVarSet(s *Server, w http.ResponseWriter, _ *http.Request, p params, _ []string) {
	name := p.get("variable")
	if name == "" {
		writeError(w, http.StatusBadRequest, "Variable name is required")
		return
	}
	s.mu.Lock()
	s.globals[name] = p.get("value")
	s.mu.Unlock()
	writeNoContent(w)
}

func hAppList(s *Server, w http.ResponseWriter, _ *http.Request, _ params, _ []string) {
	s.mu.Lock()
	out := make([]applicationJSON, 0, len(s.apps))
	for _, name := range sortedKeys(s.apps) {
		out = append(out, s.appJSON(s.apps[name]))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func hAppGet(s *Server, w http.ResponseWriter, _ *http.Request, _ params, vars []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[vars[0]]
	if a == nil {
		writeError(w, http.StatusNotFound, "Application not found")
		return
	}
	writeJSON(w, http.StatusOK, s.appJSON(a))
}

// The simulator has no endpoint registry (no PJSIP endpoints configured,
// Local has none), like the recorded lab.
func hEndpointList(_ *Server, w http.ResponseWriter, _ *http.Request, _ params, _ []string) {
	writeJSON(w, http.StatusOK, []any{})
}

func hEndpointTech(_ *Server, w http.ResponseWriter, _ *http.Request, _ params, vars []string) {
	writeError(w, http.StatusNotFound, "No Endpoints found - invalid tech "+vars[0])
}

func hEndpointGet(_ *Server, w http.ResponseWriter, _ *http.Request, _ params, _ []string) {
	writeError(w, http.StatusNotFound, "Endpoint not found")
}

func hDeviceStateList(_ *Server, w http.ResponseWriter, _ *http.Request, _ params, _ []string) {
	writeJSON(w, http.StatusOK, []any{})
}

func hDeviceStateGet(_ *Server, w http.ResponseWriter, _ *http.Request, _ params, vars []string) {
	// Device states of Local or PJSIP devices are not simulated; a custom
	// device state that was never set reads as UNKNOWN.
	if !strings.HasPrefix(vars[0], "Stasis:") {
		writeError(w, http.StatusNotFound, "Device state not found")
		return
	}
	writeJSON(w, http.StatusOK, object{{"name", vars[0]}, {"state", "UNKNOWN"}})
}

// Recordings are not simulated: none is ever stored.
func hStoredRecordingList(_ *Server, w http.ResponseWriter, _ *http.Request, _ params, _ []string) {
	writeJSON(w, http.StatusOK, []any{})
}

func hRecordingNotFound(_ *Server, w http.ResponseWriter, _ *http.Request, _ params, _ []string) {
	writeError(w, http.StatusNotFound, "Recording not found")
}
