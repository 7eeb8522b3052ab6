package pbxsim

import (
	"errors"
	"strings"
)

// ErrInvalidEndpoint is returned by ParseEndpoint for a dial string without
// a "TECH/" part; Asterisk answers it with 400 "Invalid endpoint specified".
var ErrInvalidEndpoint = errors.New("pbxsim: invalid endpoint")

// Endpoint is a parsed originate endpoint ("dial string").
type Endpoint struct {
	// Tech is the technology as written ("PJSIP", "Local", ...).
	Tech string
	// Resource is everything after "TECH/": "1001@debtors",
	// "0912345678@trunk", "agent101".
	Resource string
	// Number is the dialled number: the resource before any "@", with a
	// "peer/" prefix and a "sip:"/"tel:" scheme removed.
	Number string
	// Context is the part after "@" for Local channels (without Local
	// options such as "/n"); "default" when absent. For other technologies
	// it is empty.
	Context string
	// Host is the part after "@" for other technologies (a trunk or host).
	Host string
}

// ParseEndpoint parses an originate endpoint. It only checks the syntax:
// whether the technology exists is the server's business.
func ParseEndpoint(s string) (Endpoint, error) {
	tech, resource, ok := strings.Cut(s, "/")
	if !ok || tech == "" || resource == "" || strings.TrimSpace(tech) != tech {
		return Endpoint{}, ErrInvalidEndpoint
	}
	ep := Endpoint{Tech: tech, Resource: resource}
	if strings.EqualFold(tech, "Local") {
		exten, ctx, hasCtx := strings.Cut(resource, "@")
		if hasCtx {
			// Local channel options follow the context: "1001@ctx/n".
			ctx, _, _ = strings.Cut(ctx, "/")
		} else {
			exten, _, _ = strings.Cut(exten, "/")
		}
		if ctx == "" {
			ctx = "default"
		}
		ep.Number, ep.Context = exten, ctx
		return ep, nil
	}
	num, host, _ := strings.Cut(resource, "@")
	if i := strings.LastIndexByte(num, '/'); i >= 0 {
		num = num[i+1:]
	}
	for _, scheme := range []string{"sip:", "sips:", "tel:"} {
		if len(num) >= len(scheme) && strings.EqualFold(num[:len(scheme)], scheme) {
			num = num[len(scheme):]
			break
		}
	}
	ep.Number, ep.Host = num, host
	return ep, nil
}

// IsLocal reports whether the endpoint is a Local channel.
func (e Endpoint) IsLocal() bool { return strings.EqualFold(e.Tech, "Local") }

// IsAgent reports whether the endpoint is an agent's softphone: its number
// starts with "agent" (PJSIP/agent101, Local/agent-101@ctx, SIP/agent7).
func (e Endpoint) IsAgent() bool {
	return len(e.Number) >= 5 && strings.EqualFold(e.Number[:5], "agent")
}

// peerName is the name used for the channel of a non-Local technology:
// "PJSIP/<peer>-00000001", the peer being the trunk after "@" or else the
// first segment of the resource.
func (e Endpoint) peerName() string {
	if e.Host != "" {
		return e.Host
	}
	first, _, _ := strings.Cut(e.Resource, "/")
	first, _, _ = strings.Cut(first, "@")
	return first
}

// isDialNumber reports whether s is a phone number: digits, optionally
// after one leading '+'.
func isDialNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CallerID is a parsed caller id.
type CallerID struct {
	Name, Number string
}

// ParseCallerID parses a caller id the way Asterisk does for originate:
// `"Name" <number>`, `Name <number>`, `<number>` or a bare number (or name).
func ParseCallerID(s string) CallerID {
	s = strings.TrimSpace(s)
	if s == "" {
		return CallerID{}
	}
	if lt := strings.LastIndexByte(s, '<'); lt >= 0 {
		if gt := strings.IndexByte(s[lt:], '>'); gt >= 0 {
			num := strings.TrimSpace(s[lt+1 : lt+gt])
			name := strings.TrimSpace(s[:lt])
			if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
				name = name[1 : len(name)-1]
			}
			return CallerID{Name: name, Number: num}
		}
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return CallerID{Name: s[1 : len(s)-1]}
	}
	if isDialNumber(s) {
		return CallerID{Number: s}
	}
	return CallerID{Name: s}
}

// causeTexts are Asterisk's texts for Q.850 hangup causes (ast_cause2str).
var causeTexts = map[int]string{
	0:   "Unknown",
	1:   "Unallocated (unassigned) number",
	2:   "No route to specified transmit network",
	3:   "No route to destination",
	5:   "Misdialed trunk prefix",
	6:   "Channel unacceptable",
	7:   "Call awarded and being delivered in an established channel",
	8:   "Pre-empted",
	14:  "Number ported elsewhere",
	16:  "Normal Clearing",
	17:  "User busy",
	18:  "No user responding",
	19:  "User alerting, no answer",
	20:  "Subscriber absent",
	21:  "Call Rejected",
	22:  "Number changed",
	23:  "Redirected to new destination",
	26:  "Answered elsewhere",
	27:  "Destination out of order",
	28:  "Invalid number format",
	29:  "Facility rejected",
	30:  "Response to STATus ENQuiry",
	31:  "Normal, unspecified",
	34:  "Circuit/channel congestion",
	38:  "Network out of order",
	41:  "Temporary failure",
	42:  "Switching equipment congestion",
	43:  "Access information discarded",
	44:  "Requested channel not available",
	50:  "Facility not subscribed",
	52:  "Outgoing call barred",
	54:  "Incoming call barred",
	57:  "Bearer capability not authorized",
	58:  "Bearer capability not available",
	65:  "Bearer capability not implemented",
	66:  "Channel not implemented",
	69:  "Facility not implemented",
	81:  "Invalid call reference value",
	88:  "Incompatible destination",
	95:  "Invalid message unspecified",
	96:  "Mandatory information element is missing",
	97:  "Message type nonexist.",
	98:  "Wrong message",
	99:  "Info. element nonexist or not implemented",
	100: "Invalid information element contents",
	101: "Message not compatible with call state",
	102: "Recover on timer expiry",
	103: "Mandatory IE length error",
	111: "Protocol error, unspecified",
	127: "Interworking, unspecified",
}

// CauseText returns Asterisk's text for a hangup cause ("Unknown" for
// unknown causes).
func CauseText(cause int) string {
	if t, ok := causeTexts[cause]; ok {
		return t
	}
	return "Unknown"
}

// hangupReasons maps the "reason" parameter of DELETE /channels/{id} to a
// cause.
var hangupReasons = map[string]int{
	"normal":             16,
	"busy":               17,
	"congestion":         34,
	"no_answer":          19,
	"timeout":            19,
	"rejected":           21,
	"unallocated":        1,
	"normal_unspecified": 31,
	"number_incomplete":  28,
	"codec_mismatch":     58,
	"interworking":       127,
	"failed":             38,
	"answered_elsewhere": 26,
}
