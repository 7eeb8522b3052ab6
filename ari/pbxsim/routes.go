package pbxsim

import "net/http"

// handlerFunc serves one ARI operation. vars are the values of the "{}"
// segments of its path, in order.
type handlerFunc func(s *Server, w http.ResponseWriter, r *http.Request, p params, vars []string)

// operation is one method of a route; a nil handle is an ARI operation the
// simulator does not implement (501).
type operation struct {
	handle handlerFunc
}

// route is a path pattern of the ARI ("{}" matches one segment) and its
// methods.
type route struct {
	pattern []string
	methods map[string]*operation
}

func op(h handlerFunc) *operation { return &operation{handle: h} }

// notImplemented marks ARI operations outside the simulation.
var notImplemented = &operation{}

// routes is the ARI of Asterisk 22 (the subset a dialer may call is
// implemented; the rest answers 501 rather than 404).
var routes = []route{
	{[]string{"asterisk", "info"}, map[string]*operation{"GET": op(hAsteriskInfo)}},
	{[]string{"asterisk", "ping"}, map[string]*operation{"GET": op(hAsteriskPing)}},
	{[]string{"asterisk", "variable"}, map[string]*operation{"GET": op(hAsteriskVarGet), "POST": op(hAsteriskVarSet)}},
	{[]string{"asterisk", "modules"}, map[string]*operation{"GET": notImplemented}},
	{[]string{"asterisk", "modules", "{}"}, map[string]*operation{"GET": notImplemented, "POST": notImplemented, "PUT": notImplemented, "DELETE": notImplemented}},
	{[]string{"asterisk", "logging"}, map[string]*operation{"GET": notImplemented}},
	{[]string{"asterisk", "logging", "{}"}, map[string]*operation{"POST": notImplemented, "DELETE": notImplemented}},
	{[]string{"asterisk", "logging", "{}", "rotate"}, map[string]*operation{"PUT": notImplemented}},
	{[]string{"asterisk", "config", "dynamic", "{}", "{}", "{}"}, map[string]*operation{"GET": notImplemented, "PUT": notImplemented, "DELETE": notImplemented}},

	{[]string{"channels"}, map[string]*operation{"GET": op(hChannelList), "POST": op(hOriginate)}},
	{[]string{"channels", "create"}, map[string]*operation{"POST": op(hCreate)}},
	{[]string{"channels", "externalMedia"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"channels", "{}"}, map[string]*operation{"GET": op(hChannelGet), "POST": op(hOriginateWithID), "DELETE": op(hHangup)}},
	{[]string{"channels", "{}", "answer"}, map[string]*operation{"POST": op(hAnswer)}},
	{[]string{"channels", "{}", "ring"}, map[string]*operation{"POST": op(hRing), "DELETE": op(hRingStop)}},
	{[]string{"channels", "{}", "dtmf"}, map[string]*operation{"POST": op(hDTMF)}},
	{[]string{"channels", "{}", "play"}, map[string]*operation{"POST": op(hPlay)}},
	{[]string{"channels", "{}", "play", "{}"}, map[string]*operation{"POST": op(hPlayWithID)}},
	{[]string{"channels", "{}", "variable"}, map[string]*operation{"GET": op(hVarGet), "POST": op(hVarSet)}},
	{[]string{"channels", "{}", "continue"}, map[string]*operation{"POST": op(hContinue)}},
	{[]string{"channels", "{}", "dial"}, map[string]*operation{"POST": op(hDial)}},
	{[]string{"channels", "{}", "moh"}, map[string]*operation{"POST": op(hMOH), "DELETE": op(hMOHStop)}},
	{[]string{"channels", "{}", "hold"}, map[string]*operation{"POST": op(hHold), "DELETE": op(hHoldStop)}},
	{[]string{"channels", "{}", "silence"}, map[string]*operation{"POST": op(hSilence), "DELETE": op(hSilenceStop)}},
	{[]string{"channels", "{}", "mute"}, map[string]*operation{"POST": op(hMute), "DELETE": op(hUnmute)}},
	{[]string{"channels", "{}", "record"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"channels", "{}", "snoop"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"channels", "{}", "snoop", "{}"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"channels", "{}", "redirect"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"channels", "{}", "move"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"channels", "{}", "rtp_statistics"}, map[string]*operation{"GET": notImplemented}},
	{[]string{"channels", "{}", "transfer_progress"}, map[string]*operation{"POST": notImplemented}},

	{[]string{"bridges"}, map[string]*operation{"GET": op(hBridgeList), "POST": op(hBridgeCreate)}},
	{[]string{"bridges", "{}"}, map[string]*operation{"GET": op(hBridgeGet), "POST": op(hBridgeCreateWithID), "DELETE": op(hBridgeDelete)}},
	{[]string{"bridges", "{}", "addChannel"}, map[string]*operation{"POST": op(hAddChannel)}},
	{[]string{"bridges", "{}", "removeChannel"}, map[string]*operation{"POST": op(hRemoveChannel)}},
	{[]string{"bridges", "{}", "play"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"bridges", "{}", "play", "{}"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"bridges", "{}", "moh"}, map[string]*operation{"POST": notImplemented, "DELETE": notImplemented}},
	{[]string{"bridges", "{}", "record"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"bridges", "{}", "videoSource"}, map[string]*operation{"DELETE": notImplemented}},
	{[]string{"bridges", "{}", "videoSource", "{}"}, map[string]*operation{"POST": notImplemented}},

	{[]string{"playbacks", "{}"}, map[string]*operation{"GET": op(hPlaybackGet), "DELETE": op(hPlaybackStop)}},
	{[]string{"playbacks", "{}", "control"}, map[string]*operation{"POST": notImplemented}},

	{[]string{"applications"}, map[string]*operation{"GET": op(hAppList)}},
	{[]string{"applications", "{}"}, map[string]*operation{"GET": op(hAppGet)}},
	{[]string{"applications", "{}", "subscription"}, map[string]*operation{"POST": notImplemented, "DELETE": notImplemented}},
	{[]string{"applications", "{}", "eventFilter"}, map[string]*operation{"PUT": notImplemented}},

	{[]string{"endpoints"}, map[string]*operation{"GET": op(hEndpointList)}},
	{[]string{"endpoints", "sendMessage"}, map[string]*operation{"PUT": notImplemented}},
	{[]string{"endpoints", "refer"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"endpoints", "{}"}, map[string]*operation{"GET": op(hEndpointTech)}},
	{[]string{"endpoints", "{}", "{}"}, map[string]*operation{"GET": op(hEndpointGet)}},
	{[]string{"endpoints", "{}", "{}", "sendMessage"}, map[string]*operation{"PUT": notImplemented}},
	{[]string{"endpoints", "{}", "{}", "refer"}, map[string]*operation{"POST": notImplemented}},

	{[]string{"deviceStates"}, map[string]*operation{"GET": op(hDeviceStateList)}},
	{[]string{"deviceStates", "{}"}, map[string]*operation{"GET": op(hDeviceStateGet), "PUT": notImplemented, "DELETE": notImplemented}},

	{[]string{"sounds"}, map[string]*operation{"GET": op(hSoundList)}},
	{[]string{"sounds", "{}"}, map[string]*operation{"GET": op(hSoundGet)}},

	{[]string{"recordings", "stored"}, map[string]*operation{"GET": op(hStoredRecordingList)}},
	{[]string{"recordings", "stored", "{}"}, map[string]*operation{"GET": op(hRecordingNotFound), "DELETE": op(hRecordingNotFound)}},
	{[]string{"recordings", "stored", "{}", "file"}, map[string]*operation{"GET": op(hRecordingNotFound)}},
	{[]string{"recordings", "stored", "{}", "copy"}, map[string]*operation{"POST": op(hRecordingNotFound)}},
	{[]string{"recordings", "live", "{}"}, map[string]*operation{"GET": op(hRecordingNotFound), "DELETE": op(hRecordingNotFound)}},
	{[]string{"recordings", "live", "{}", "stop"}, map[string]*operation{"POST": op(hRecordingNotFound)}},
	{[]string{"recordings", "live", "{}", "pause"}, map[string]*operation{"POST": op(hRecordingNotFound), "DELETE": op(hRecordingNotFound)}},
	{[]string{"recordings", "live", "{}", "mute"}, map[string]*operation{"POST": op(hRecordingNotFound), "DELETE": op(hRecordingNotFound)}},

	{[]string{"events", "user", "{}"}, map[string]*operation{"POST": notImplemented}},
	{[]string{"mailboxes"}, map[string]*operation{"GET": notImplemented}},
	{[]string{"mailboxes", "{}"}, map[string]*operation{"GET": notImplemented, "PUT": notImplemented, "DELETE": notImplemented}},
}

// matchRoute finds the route of a path. Literal segments win over "{}"
// segments, position by position, like Asterisk's path tree. found is
// false when no route has this path (404); a found route without the
// method gives a nil operation (405).
func matchRoute(method string, segs []string) (o *operation, vars []string, found bool) {
	var best *route
	for i := range routes {
		rt := &routes[i]
		if len(rt.pattern) != len(segs) || !patternMatches(rt.pattern, segs) {
			continue
		}
		if best == nil || moreSpecific(rt.pattern, best.pattern) {
			best = rt
		}
	}
	if best == nil {
		return nil, nil, false
	}
	for i, p := range best.pattern {
		if p == "{}" {
			vars = append(vars, segs[i])
		}
	}
	return best.methods[method], vars, true
}

func patternMatches(pattern, segs []string) bool {
	for i, p := range pattern {
		if segs[i] == "" {
			return false
		}
		if p != "{}" && p != segs[i] {
			return false
		}
	}
	return true
}

// moreSpecific reports whether a has a literal where b has "{}" at the
// first position where they differ.
func moreSpecific(a, b []string) bool {
	for i := range a {
		al, bl := a[i] != "{}", b[i] != "{}"
		if al != bl {
			return al
		}
	}
	return false
}
