package config

// Sanity checks of the Asterisk configuration shipped in deploy/asterisk:
// every file parses as Asterisk's ini dialect, the pieces refer to each
// other correctly, and the duecall-test dialplan gives each last digit its
// behaviour, matched the way Asterisk's classic pattern matcher does.

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const asteriskDir = "../deploy/asterisk/"

type astEntry struct {
	key, op, value string // op is "=" or "=>"
	line           int
}

type astSection struct {
	name       string
	template   bool     // defined with (!)
	parents    []string // templates it inherits from
	entries    []astEntry
	line       int
	inheritErr string
}

type astFile struct {
	name     string
	sections []*astSection
}

var sectionRE = regexp.MustCompile(`^\[([^\[\]]+)\](?:\(([^()]*)\))?$`)

// parseAsteriskConf parses an Asterisk configuration file, reporting
// every malformed line.
func parseAsteriskConf(t *testing.T, name string) *astFile {
	t.Helper()
	f, err := os.Open(asteriskDir + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := &astFile{name: name}
	var cur *astSection
	inBlock := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		where := fmt.Sprintf("%s:%d", name, n)
		if inBlock {
			if i := strings.Index(line, "--;"); i >= 0 {
				inBlock, line = false, line[i+3:]
			} else {
				continue
			}
		}
		if strings.HasPrefix(strings.TrimSpace(line), ";--") {
			inBlock = !strings.Contains(line, "--;")
			continue
		}
		line = strings.TrimSpace(stripComment(line))
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "#include") || strings.HasPrefix(line, "#tryinclude") || strings.HasPrefix(line, "#exec"):
			continue
		case strings.HasPrefix(line, "["):
			m := sectionRE.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s: malformed section header %q", where, line)
				continue
			}
			cur = &astSection{name: m[1], line: n}
			if m[2] != "" {
				for _, opt := range strings.Split(m[2], ",") {
					switch opt = strings.TrimSpace(opt); opt {
					case "!":
						cur.template = true
					case "+":
					default:
						if findTemplate(out, opt) == nil {
							t.Errorf("%s: [%s] inherits from %q, not a template defined above", where, cur.name, opt)
						}
						cur.parents = append(cur.parents, opt)
					}
				}
			}
			out.sections = append(out.sections, cur)
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("%s: %q is neither a section, key=value nor key => value", where, line)
				continue
			}
			op := "="
			if strings.HasPrefix(value, ">") {
				op, value = "=>", value[1:]
			}
			key, value = strings.TrimSpace(key), strings.TrimSpace(value)
			if key == "" || strings.ContainsAny(key, " \t") {
				t.Errorf("%s: bad key %q", where, key)
				continue
			}
			if cur == nil {
				t.Errorf("%s: %q outside any section", where, line)
				continue
			}
			cur.entries = append(cur.entries, astEntry{key: key, op: op, value: value, line: n})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if inBlock {
		t.Errorf("%s: unterminated ;-- comment", name)
	}
	return out
}

// stripComment removes a ";" comment; "\;" is a literal semicolon.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == ';' && (i == 0 || line[i-1] != '\\') {
			return line[:i]
		}
	}
	return line
}

func findTemplate(f *astFile, name string) *astSection {
	for _, s := range f.sections {
		if s.name == name && s.template {
			return s
		}
	}
	return nil
}

// values returns the values of key in s, templates included.
func (f *astFile) values(s *astSection, key string) []string {
	var out []string
	for _, p := range s.parents {
		if tpl := findTemplate(f, p); tpl != nil {
			out = append(out, f.values(tpl, key)...)
		}
	}
	for _, e := range s.entries {
		if e.key == key {
			out = append(out, e.value)
		}
	}
	return out
}

// value returns the last value of key in s, templates included.
func (f *astFile) value(s *astSection, key string) string {
	v := f.values(s, key)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// find returns the non-template section named name whose type is typ
// ("" for any).
func (f *astFile) find(name, typ string) *astSection {
	for _, s := range f.sections {
		if s.name == name && !s.template && (typ == "" || f.value(s, "type") == typ) {
			return s
		}
	}
	return nil
}

func TestAsteriskHTTPConf(t *testing.T) {
	f := parseAsteriskConf(t, "http.conf")
	g := f.find("general", "")
	if g == nil {
		t.Fatal("no [general]")
	}
	for key, want := range map[string]string{"enabled": "yes", "bindport": "8088"} {
		if got := f.value(g, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if f.value(g, "bindaddr") == "" {
		t.Error("no bindaddr")
	}
	if !strings.HasSuffix(Default().ARI.URL, ":"+f.value(g, "bindport")+"/ari") {
		t.Errorf("default ari.url %s does not use bindport %s", Default().ARI.URL, f.value(g, "bindport"))
	}
}

func TestAsteriskARIConf(t *testing.T) {
	f := parseAsteriskConf(t, "ari.conf")
	g := f.find("general", "")
	if g == nil || f.value(g, "enabled") != "yes" {
		t.Fatal("ARI not enabled in [general]")
	}
	u := f.find(DefaultARIUsername, "user")
	if u == nil {
		t.Fatalf("no user [%s]", DefaultARIUsername)
	}
	if f.value(u, "read_only") != "no" {
		t.Error("the duecall user is read-only")
	}
	if f.value(u, "password") != ExamplePassword || f.value(u, "password_format") != "plain" {
		t.Errorf("password %q (%s), want the placeholder %q", f.value(u, "password"), f.value(u, "password_format"), ExamplePassword)
	}
	raw, _ := os.ReadFile(asteriskDir + "ari.conf")
	if !strings.Contains(strings.ToUpper(string(raw)), "CHANGE THIS PASSWORD") {
		t.Error("ari.conf does not tell to change the password")
	}
}

func TestAsteriskPJSIPConf(t *testing.T) {
	f := parseAsteriskConf(t, "pjsip.conf")
	ext := parseAsteriskConf(t, "extensions.conf")

	// Sorcery allows repeated names only across types.
	seen := map[string]int{}
	for _, s := range f.sections {
		if s.template {
			continue
		}
		k := s.name + "/" + f.value(s, "type")
		if first, dup := seen[k]; dup {
			t.Errorf("pjsip.conf:%d: [%s] of type %s already defined at line %d", s.line, s.name, f.value(s, "type"), first)
		}
		seen[k] = s.line
		if f.value(s, "type") == "" {
			t.Errorf("pjsip.conf:%d: [%s] has no type", s.line, s.name)
		}
	}
	udp := false
	for _, s := range f.sections {
		if !s.template && f.value(s, "type") == "transport" && f.value(s, "protocol") == "udp" && f.value(s, "bind") != "" {
			udp = true
		}
	}
	if !udp {
		t.Error("no UDP transport")
	}

	checkEndpoint := func(name string, authKey string) *astSection {
		t.Helper()
		e := f.find(name, "endpoint")
		if e == nil {
			t.Errorf("no endpoint %s", name)
			return nil
		}
		if tr := f.value(e, "transport"); tr != "" && f.find(tr, "transport") == nil {
			t.Errorf("%s: transport %q is not defined", name, tr)
		}
		for _, aor := range strings.Split(f.value(e, "aors"), ",") {
			if f.find(strings.TrimSpace(aor), "aor") == nil {
				t.Errorf("%s: aor %q is not defined", name, aor)
			}
		}
		auth := f.find(f.value(e, authKey), "auth")
		if auth == nil {
			t.Errorf("%s: %s %q is not defined", name, authKey, f.value(e, authKey))
		} else if f.value(auth, "username") == "" || f.value(auth, "password") == "" {
			t.Errorf("%s: auth without username or password", name)
		}
		if ctx := f.value(e, "context"); ext.find(ctx, "") == nil {
			t.Errorf("%s: context %q is not in extensions.conf", name, ctx)
		}
		if !slices.Contains(f.values(e, "allow"), "ulaw") {
			t.Errorf("%s does not allow ulaw", name)
		}
		return e
	}
	for i := 101; i <= 105; i++ {
		checkEndpoint(fmt.Sprintf("agent%d", i), "auth")
	}
	// The example configuration's agents exist here.
	cfg, _, err := Load(LoadOptions{File: "../deploy/duecall.example.yaml", Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.Agents {
		if name, ok := strings.CutPrefix(a.Endpoint, "PJSIP/"); !ok || f.find(name, "endpoint") == nil {
			t.Errorf("example agent endpoint %s is not defined in pjsip.conf", a.Endpoint)
		}
	}

	// The trunk of dial_template PJSIP/{number}@trunk.
	if checkEndpoint("trunk", "outbound_auth") != nil {
		aor := f.find("trunk", "aor")
		if aor == nil || !strings.HasPrefix(f.value(aor, "contact"), "sip:") {
			t.Error("trunk aor has no sip: contact")
		}
	}
	identified := false
	for _, s := range f.sections {
		if f.value(s, "type") == "identify" && f.value(s, "endpoint") == "trunk" && f.value(s, "match") != "" {
			identified = true
		}
	}
	if !identified {
		t.Error("no identify section for the trunk")
	}
	for _, c := range cfg.Campaigns {
		tech, rest, _ := strings.Cut(c.DialTemplate, "/")
		_, endpoint, _ := strings.Cut(rest, "@")
		if tech == "PJSIP" && f.find(endpoint, "endpoint") == nil {
			t.Errorf("campaign %s dials endpoint %q, not in pjsip.conf", c.ID, endpoint)
		}
	}
}

// --- dialplan ----------------------------------------------------------------

type astStep struct {
	priority, label, app, args string
	line                       int
}

type astExten struct {
	name  string
	steps []astStep
}

type astContext struct {
	name   string
	extens []*astExten
}

var knownApps = []string{
	"Answer", "Busy", "Congestion", "Dial", "Echo", "Gosub", "Goto", "GotoIf",
	"Hangup", "NoOp", "Playback", "Progress", "Return", "Ringing", "Set",
	"Stasis", "Verbose", "Wait",
}

// parseDialplan turns extensions.conf into contexts, checking every
// exten/same line.
func parseDialplan(t *testing.T) map[string]*astContext {
	t.Helper()
	f := parseAsteriskConf(t, "extensions.conf")
	out := map[string]*astContext{}
	for _, s := range f.sections {
		if s.name == "general" || s.name == "globals" {
			continue
		}
		if _, dup := out[s.name]; dup {
			t.Errorf("extensions.conf:%d: context [%s] defined twice", s.line, s.name)
		}
		ctx := &astContext{name: s.name}
		out[s.name] = ctx
		var last *astExten
		for _, e := range s.entries {
			where := fmt.Sprintf("extensions.conf:%d", e.line)
			if e.op != "=>" {
				t.Errorf("%s: %s %s: use =>", where, e.key, e.op)
			}
			var name, rest string
			switch e.key {
			case "exten":
				var ok bool
				name, rest, ok = strings.Cut(e.value, ",")
				if !ok || name == "" {
					t.Errorf("%s: exten without a name", where)
					continue
				}
				last = ctx.exten(name)
				if last == nil {
					last = &astExten{name: name}
					ctx.extens = append(ctx.extens, last)
				}
			case "same":
				if last == nil {
					t.Errorf("%s: same => before any exten", where)
					continue
				}
				rest = e.value
			case "include":
				continue
			default:
				t.Errorf("%s: unexpected %q in a dialplan context", where, e.key)
				continue
			}
			prio, app, ok := strings.Cut(rest, ",")
			if !ok {
				t.Errorf("%s: no application", where)
				continue
			}
			step := astStep{priority: prio, line: e.line}
			if i := strings.IndexByte(prio, '('); i >= 0 && strings.HasSuffix(prio, ")") {
				step.priority, step.label = prio[:i], prio[i+1:len(prio)-1]
			}
			if step.priority != "n" && !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(step.priority) {
				t.Errorf("%s: bad priority %q", where, step.priority)
			}
			if len(last.steps) == 0 && step.priority != "1" {
				t.Errorf("%s: the first priority of %s is %q, not 1", where, last.name, step.priority)
			}
			open := strings.IndexByte(app, '(')
			if open < 0 || !strings.HasSuffix(app, ")") {
				t.Errorf("%s: %q is not App(arguments)", where, app)
				continue
			}
			step.app, step.args = app[:open], app[open+1:len(app)-1]
			if !slices.Contains(knownApps, step.app) {
				t.Errorf("%s: unknown application %q", where, step.app)
			}
			if !balanced(step.args) {
				t.Errorf("%s: unbalanced brackets in %q", where, step.args)
			}
			last.steps = append(last.steps, step)
		}
	}
	return out
}

func (c *astContext) exten(name string) *astExten {
	for _, e := range c.extens {
		if e.name == name {
			return e
		}
	}
	return nil
}

// match lists the extensions of c that match data.
func (c *astContext) match(data string) []*astExten {
	var out []*astExten
	for _, e := range c.extens {
		if astMatch(e.name, data) {
			out = append(out, e)
		}
	}
	return out
}

// balanced checks (), {} and [] nesting in dialplan arguments.
func balanced(s string) bool {
	var stack []byte
	pairs := map[byte]byte{')': '(', '}': '{', ']': '['}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '(', '{', '[':
			stack = append(stack, c)
		case ')', '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[c] {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0
}

// astMatch reports whether an extension name or pattern matches the
// dialled data, as Asterisk's classic matcher (_extension_match_core in
// main/pbx.c, E_MATCH) does: "-" is ignored on both sides; in patterns
// N/X/Z (either case) are digit classes, [..] a set, "." one or more and
// "!" zero or more characters.
func astMatch(pattern, data string) bool {
	if !strings.HasPrefix(pattern, "_") {
		return strings.ReplaceAll(pattern, "-", "") == strings.ReplaceAll(data, "-", "")
	}
	p := pattern[1:]
	i, j := 0, 0
	for {
		for j < len(data) && data[j] == '-' {
			j++
		}
		for i < len(p) && p[i] == '-' {
			i++
		}
		if j >= len(data) || i >= len(p) || p[i] == '/' {
			break
		}
		d := data[j]
		switch c := p[i]; c {
		case '[':
			end := strings.IndexByte(p[i+1:], ']')
			if end < 0 {
				return false
			}
			set := p[i+1 : i+1+end]
			i += 1 + end // at ']'
			if set == "" {
				i++
				continue
			}
			if !inSet(set, d) {
				return false
			}
		case 'n', 'N':
			if d < '2' || d > '9' {
				return false
			}
		case 'x', 'X':
			if d < '0' || d > '9' {
				return false
			}
		case 'z', 'Z':
			if d < '1' || d > '9' {
				return false
			}
		case '.', '!':
			return true
		default:
			if d != c {
				return false
			}
		}
		i++
		j++
	}
	if j < len(data) {
		return false
	}
	return i >= len(p) || p[i] == '/' || p[i] == '!'
}

func inSet(set string, d byte) bool {
	for k := 0; k < len(set); k++ {
		if k+2 < len(set) && set[k+1] == '-' {
			if d >= set[k] && d <= set[k+2] {
				return true
			}
			k += 2
			continue
		}
		if set[k] == d {
			return true
		}
	}
	return false
}

func TestAstMatch(t *testing.T) {
	tests := []struct {
		pattern, data string
		want          bool
	}{
		{"_X.", "84912345671", true},
		{"_X.", "1", false}, // "." needs at least one more character
		{"_X.", "agent-101", false},
		{"_X!", "1", true},
		{"_age[n]t-.", "agent-101", true},
		{"_age[n]t-.", "agent-a1", true},
		{"_age[n]t-.", "agent", false},
		{"_agent-.", "agent-101", false}, // the n is a digit class
		{"_agent-.", "age5t-101", true},
		{"_+X.", "+84912345671", true},
		{"_+X.", "84912345671", false},
		{"_NXX-XXXX", "555-1212", true},
		{"_NXXXXXX", "1551212", false},
		{"_[1-3]X", "25", true},
		{"_[1-3]X", "45", false},
		{"1", "1", true},
		{"1", "11", false},
		{"stay-up", "stayup", true},
		{"random", "random", true},
	}
	for _, tt := range tests {
		if got := astMatch(tt.pattern, tt.data); got != tt.want {
			t.Errorf("astMatch(%q, %q) = %v", tt.pattern, tt.data, got)
		}
	}
}

// run follows a dialled string through the context's Goto jumps (with
// ${EXTEN}, ${EXTEN:n} substituted) and returns the extension that does
// the work.
func run(t *testing.T, ctx *astContext, data string) *astExten {
	t.Helper()
	for hops := 0; hops < 5; hops++ {
		m := ctx.match(data)
		if len(m) != 1 {
			names := make([]string, len(m))
			for i, e := range m {
				names[i] = e.name
			}
			t.Errorf("%s@%s matches %d extensions %v; want exactly one", data, ctx.name, len(m), names)
			return nil
		}
		e := m[0]
		var jump string
		for _, s := range e.steps {
			if s.app == "Goto" && !strings.Contains(s.args, "?") {
				jump = s.args
				break
			}
		}
		if jump == "" {
			return e
		}
		target, prio, _ := strings.Cut(substituteExten(jump, data), ",")
		if prio != "1" || strings.Contains(target, ",") {
			t.Errorf("%s: Goto(%s): want Goto(extension,1) in the same context", e.name, jump)
			return nil
		}
		data = target
	}
	t.Errorf("%s: too many Goto hops", data)
	return nil
}

var extenVarRE = regexp.MustCompile(`\$\{EXTEN(?::(-?[0-9]+))?\}`)

func substituteExten(s, exten string) string {
	return extenVarRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := extenVarRE.FindStringSubmatch(m)
		if sub[1] == "" {
			return exten
		}
		var n int
		fmt.Sscan(sub[1], &n)
		if n < 0 {
			return exten[max(0, len(exten)+n):]
		}
		return exten[min(n, len(exten)):]
	})
}

// calls renders the steps of an extension as App(args).
func calls(e *astExten) []string {
	out := make([]string, len(e.steps))
	for i, s := range e.steps {
		out[i] = s.app + "(" + s.args + ")"
	}
	return out
}

// inOrder reports whether every item of want appears in got, in order.
// An item ending in "(" matches any arguments.
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && (g == want[i] || strings.HasSuffix(want[i], "(") && strings.HasPrefix(g, want[i])) {
			i++
		}
	}
	return i == len(want)
}

func TestAsteriskDialplan(t *testing.T) {
	plan := parseDialplan(t)
	f := parseAsteriskConf(t, "extensions.conf")
	if g := f.find("general", ""); g == nil || f.value(g, "extenpatternmatchnew") != "no" {
		t.Error("[general] must keep extenpatternmatchnew=no (the agent pattern relies on the classic matcher)")
	}
	test := plan["duecall-test"]
	if test == nil {
		t.Fatal("no [duecall-test] context")
	}
	lib := plan["duecall-test-lib"]
	if lib == nil || lib.exten("stay-up") == nil || !inOrder(calls(lib.exten("stay-up")), []string{"Playback(", "GotoIf(", "Return()"}) {
		t.Error("[duecall-test-lib] lacks the stay-up subroutine")
	}

	// Each last digit, dialled as a national number, as E.164 without "+"
	// (the {number} placeholder), with "+" ({e164}) and alone.
	behaviour := map[byte]struct {
		want      []string
		answers   bool
		extension string
	}{
		'1': {[]string{"Ringing()", "Wait(2)", "Answer()", "Gosub(duecall-test-lib,stay-up,1(3600))"}, true, "1"},
		'2': {[]string{"Ringing()", "Wait(1)", "Busy("}, false, "2"},
		'3': {[]string{"Ringing()", "Wait(3600)"}, false, "3"},
		'4': {[]string{"Wait(0.5)", "Congestion("}, false, "4"},
		'5': {[]string{"Ringing()", "Wait(2)", "Answer()", "Wait(5)", "Hangup(16)"}, true, "5"},
		'6': {[]string{"Ringing()", "Wait(1)", "Answer()", "Playback(tt-monkeys)", "GotoIf(", "Playback(beep)", "Hangup(16)"}, true, "6"},
		'7': {[]string{"Hangup(1)"}, false, "7"},
		'8': {[]string{"Ringing()", "Wait(${RAND(1,10)})", "Answer()", "Gosub(duecall-test-lib,stay-up,1(${RAND(10,120)}))", "Hangup(16)"}, true, "random"},
		'9': {[]string{"Ringing()", "Wait(${RAND(1,10)})", "Answer()", "Gosub(duecall-test-lib,stay-up,1(${RAND(10,120)}))", "Hangup(16)"}, true, "random"},
		'0': {[]string{"Ringing()", "Wait(${RAND(1,10)})", "Answer()", "Gosub(duecall-test-lib,stay-up,1(${RAND(10,120)}))", "Hangup(16)"}, true, "random"},
	}
	if len(behaviour) != 10 {
		t.Fatal("not all ten digits are described")
	}
	for digit, b := range behaviour {
		for _, number := range []string{"091234567" + string(digit), "8491234567" + string(digit), "+8491234567" + string(digit), string(digit)} {
			e := run(t, test, number)
			if e == nil {
				continue
			}
			if e.name != b.extension {
				t.Errorf("%s ends in extension %s, want %s", number, e.name, b.extension)
				continue
			}
			got := calls(e)
			if !inOrder(got, b.want) {
				t.Errorf("%s runs %v; want in order %v", number, got, b.want)
			}
			if answers := slices.Contains(got, "Answer()"); answers != b.answers {
				t.Errorf("%s: answers = %v, want %v", number, answers, b.answers)
			}
		}
	}

	// Agents: any id, never shadowed by the number patterns.
	for _, agent := range []string{"agent-101", "agent-1", "agent-a1", "agent-alice_2"} {
		e := run(t, test, agent)
		if e == nil {
			continue
		}
		if !strings.HasPrefix(e.name, "_") || !astMatch(e.name, "agent-105") || astMatch(e.name, "84912345671") {
			t.Errorf("%s handled by %s, not the agent pattern", agent, e.name)
		}
		if got := calls(e); !inOrder(got, []string{"Answer()", "Gosub(duecall-test-lib,stay-up,1(3600))"}) || slices.Contains(got, "Ringing()") {
			t.Errorf("%s runs %v; want an immediate answer that stays up", agent, got)
		}
	}
	// The end-to-end templates of the README reach those extensions.
	readme, err := os.ReadFile(asteriskDir + "README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ template, value, want string }{
		{"DUECALL_TEST_DIAL_TEMPLATE='Local/{number}@duecall-test'", "84912345672", "2"},
		{"DUECALL_TEST_AGENT_TEMPLATE='Local/agent-{id}@duecall-test'", "101", ""},
	} {
		if !strings.Contains(string(readme), tt.template) {
			t.Errorf("README lacks %s", tt.template)
		}
		_, tmpl, _ := strings.Cut(strings.Trim(strings.SplitN(tt.template, "=", 2)[1], "'"), "Local/")
		exten, context, _ := strings.Cut(tmpl, "@")
		exten = strings.NewReplacer("{number}", tt.value, "{id}", tt.value).Replace(exten)
		e := run(t, plan[context], exten)
		if e == nil || tt.want != "" && e.name != tt.want || tt.want == "" && !strings.HasPrefix(e.name, "_age") {
			t.Errorf("%s with %s does not reach the expected extension", tt.template, tt.value)
		}
	}

	// Every GotoIf label exists in its extension; every Gosub target exists.
	for _, ctx := range plan {
		for _, e := range ctx.extens {
			labels := map[string]bool{}
			for _, s := range e.steps {
				if s.label != "" {
					labels[s.label] = true
				}
			}
			for _, s := range e.steps {
				if s.app == "GotoIf" {
					_, dest, _ := strings.Cut(s.args, "?")
					for _, l := range strings.Split(dest, ":") {
						if l != "" && !labels[l] {
							t.Errorf("extensions.conf:%d: GotoIf to unknown label %q", s.line, l)
						}
					}
				}
				if s.app == "Gosub" {
					parts := strings.SplitN(s.args, ",", 3)
					if len(parts) != 3 || plan[parts[0]] == nil || plan[parts[0]].exten(parts[1]) == nil {
						t.Errorf("extensions.conf:%d: Gosub(%s) to an unknown place", s.line, s.args)
					}
				}
			}
		}
	}

	// Real campaigns through dialplan reach the trunk and give back the
	// dial status.
	out := plan["duecall-outbound"]
	if out == nil {
		t.Fatal("no [duecall-outbound] context")
	}
	if e := run(t, out, "84912345678"); e == nil || !inOrder(calls(e), []string{"Dial(PJSIP/${EXTEN}@trunk,300)", "GotoIf(", "Busy(", "Congestion("}) {
		t.Errorf("duecall-outbound does not dial the trunk and pass busy/congestion back")
	}
	for _, name := range []string{"duecall-agents", "duecall-from-trunk"} {
		if plan[name] == nil {
			t.Errorf("no [%s] context (used by pjsip.conf)", name)
		}
	}
}
