package pbxsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxBody bounds request bodies.
const maxBody = 1 << 20

// errBadBody is the parse error Asterisk reports as 400 "Error parsing
// request body".
var errBadBody = errors.New("Error parsing request body")

// variable is one channel variable, in the order the client sent it.
type variable struct {
	Name, Value string
}

// params are the parameters of an ARI request: those of the query string,
// overridden by those of a JSON (or form) body, as Asterisk does.
type params struct {
	vals map[string][]string
	// variables is the "variables" object of a JSON body, in order; nil
	// when absent or not an object (Asterisk silently ignores an array).
	variables []variable
}

// get returns the first value of a parameter.
func (p params) get(name string) string {
	if v := p.vals[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// has reports whether a parameter was given.
func (p params) has(name string) bool {
	_, ok := p.vals[name]
	return ok
}

// list returns all values of a parameter, each split on commas, without
// empty items ("channel=a,b" or "channel=a&channel=b").
func (p params) list(name string) []string {
	var out []string
	for _, v := range p.vals[name] {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// intOr parses an integer parameter; absent or malformed values give def
// (Asterisk ignores a malformed number).
func (p params) intOr(name string, def int) int {
	v := strings.TrimSpace(p.get(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		if f, ferr := strconv.ParseFloat(v, 64); ferr == nil && f == float64(int(f)) {
			return int(f)
		}
		return def
	}
	return n
}

// parseParams reads the parameters of r: the query string (without
// api_key) and a JSON object or form body.
func parseParams(r *http.Request) (params, error) {
	p := params{vals: map[string][]string{}}
	for k, v := range r.URL.Query() {
		if k == "api_key" {
			continue
		}
		p.vals[k] = append([]string(nil), v...)
	}
	if r.Body == nil {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return p, fmt.Errorf("read body: %w", errBadBody)
	}
	if len(body) > maxBody {
		return p, errBadBody
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err := p.mergeBody(ct, body); err != nil {
		return p, err
	}
	return p, nil
}

// mergeBody merges a request body into p; body values override query
// values of the same name.
func (p *params) mergeBody(contentType string, body []byte) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	if contentType == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(trimmed))
		if err != nil {
			return errBadBody
		}
		for k, v := range form {
			p.vals[k] = v
		}
		return nil
	}
	if contentType != "" && !strings.Contains(contentType, "json") {
		// Asterisk only reads JSON bodies; other bodies are ignored.
		return nil
	}
	if !json.Valid(trimmed) {
		return errBadBody
	}
	if trimmed[0] != '{' {
		// A valid JSON value that is not an object carries no parameters.
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return errBadBody
	}
	for k, raw := range fields {
		if k == "variables" {
			p.variables = orderedVariables(raw)
			continue
		}
		if vals, ok := jsonParamValues(raw); ok {
			p.vals[k] = vals
		}
	}
	return nil
}

// jsonParamValues converts a JSON value to parameter values: scalars give
// one value, arrays of scalars one value each; objects and null give none.
func jsonParamValues(raw json.RawMessage) ([]string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		return []string{s}, true
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil, false
		}
		var out []string
		for _, it := range items {
			if v, ok := jsonParamValues(it); ok && len(v) == 1 {
				out = append(out, v[0])
			}
		}
		return out, true
	case '{', 'n':
		return nil, false
	default: // numbers, true, false
		return []string{string(raw)}, true
	}
}

// orderedVariables decodes a JSON object of variables keeping the order of
// the keys. Values that are not strings are converted like parameters
// (numbers and booleans as written); a non-object gives nil.
func orderedVariables(raw json.RawMessage) []variable {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil
	}
	var out []variable
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return out
		}
		key, _ := kt.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return out
		}
		if vals, ok := jsonParamValues(val); ok && len(vals) == 1 {
			out = append(out, variable{Name: key, Value: vals[0]})
		}
	}
	return out
}

// originateRequest holds the parameters of POST /channels,
// /channels/{id} and /channels/create.
type originateRequest struct {
	Endpoint       string
	Extension      string
	Context        string
	Priority       int
	Label          string
	App            string
	AppArgs        string
	CallerID       string
	ChannelID      string
	OtherChannelID string
	Originator     string
	Formats        string
	// Timeout is the ring timeout in seconds: -1 for none; 0 or a
	// malformed value give Asterisk's default of 30.
	Timeout   int
	Variables []variable
}

// parseOriginate extracts originate parameters. pathID is the channel id
// of POST /channels/{channelId} ("" otherwise).
func parseOriginate(p params, pathID string) originateRequest {
	req := originateRequest{
		Endpoint:       p.get("endpoint"),
		Extension:      p.get("extension"),
		Context:        p.get("context"),
		Priority:       p.intOr("priority", 0),
		Label:          p.get("label"),
		App:            p.get("app"),
		AppArgs:        p.get("appArgs"),
		CallerID:       p.get("callerId"),
		ChannelID:      p.get("channelId"),
		OtherChannelID: p.get("otherChannelId"),
		Originator:     p.get("originator"),
		Formats:        p.get("formats"),
		Timeout:        p.intOr("timeout", 30),
		Variables:      p.variables,
	}
	if pathID != "" {
		req.ChannelID = pathID
	}
	if req.Timeout == 0 || req.Timeout < -1 {
		req.Timeout = 30
	}
	return req
}

// splitArgs splits appArgs on commas like Stasis() does; an empty string
// gives no arguments.
func splitArgs(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}
