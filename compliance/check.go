package compliance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/duecall/duecall/campaign"
)

// Rule ids name the rule that blocks a call. They are stable: audits,
// metrics and the Redis script use them.
const (
	// Rules that hold until someone changes the data: NextEligible is never.
	RuleNotDebtorNumber    = "not_debtor_number"   // the number is not one of the debt's numbers
	RuleDoNotCall          = "do_not_call"         // the number is on the do-not-call list
	RuleCeaseCommunication = "cease_communication" // the debtor asked not to be contacted
	RuleDebtPaid           = "debt_paid"
	RuleDebtDisputed       = "debt_disputed"
	RuleDebtInvestigation  = "debt_investigation" // under investigation
	RuleDebtStatusUnknown  = "debt_status_unknown"
	RuleZoneUnknown        = "zone_unknown" // no time zone for the debtor
	RuleCapDebtTotal       = "cap_debt_total"

	// Rules that pass again with time.
	RuleHoliday      = "holiday"
	RuleDayOfWeek    = "day_of_week"
	RuleWindow       = "window"
	RuleCapDebtorDay = "cap_debtor_day"
	RuleCapDebtor7d  = "cap_debtor_7d"
	RuleCapPhoneDay  = "cap_phone_day"
	RuleCapDebt7d    = "cap_debt_7d"
	RuleCoolOff      = "cool_off"
	RuleAbandon72h   = "abandon_72h" // the id stays whatever AbandonNoRecall is
)

// DebtStatus is the collection status of a debt.
type DebtStatus string

// Debt statuses. Only an active debt is called; the empty status counts as
// active.
const (
	DebtActive        DebtStatus = "active"
	DebtPaid          DebtStatus = "paid"
	DebtDisputed      DebtStatus = "disputed"
	DebtInvestigation DebtStatus = "investigation"
)

// ParseDebtStatus parses a status, case-insensitive; "" is active and
// "under_investigation" is investigation.
func ParseDebtStatus(s string) (DebtStatus, error) {
	switch v := DebtStatus(strings.ToLower(strings.TrimSpace(s))); v {
	case "", DebtActive:
		return DebtActive, nil
	case DebtPaid, DebtDisputed, DebtInvestigation:
		return v, nil
	case "under_investigation":
		return DebtInvestigation, nil
	}
	return "", fmt.Errorf("debt status %q (want active, paid, disputed or investigation): %w", s, ErrSyntax)
}

// History is what Check needs to know about a debt, its debtor and its
// numbers at the moment of a claim. Times are the instants the attempts
// were originated; a store should keep them at millisecond precision.
type History struct {
	// DebtorAttempts are every attempt to the debtor: all campaigns, all
	// debts, all numbers, this debt's included.
	DebtorAttempts []time.Time
	// DebtAttempts are every attempt on this debt, on any number.
	DebtAttempts []time.Time
	// PhoneAttempts are the attempts to each number (E.164), all campaigns.
	PhoneAttempts map[string][]time.Time
	// LastConversation is the end of the last telephone conversation with
	// the debtor about this debt (zero: none).
	LastConversation time.Time
	// LastAbandoned is, per number, the last answered call to it that was
	// abandoned (no agent in time).
	LastAbandoned map[string]time.Time

	// DoNotCall holds the numbers (of this debt) on the do-not-call list.
	DoNotCall map[string]bool
	// CeaseCommunication is the debtor's cease-communication flag.
	CeaseCommunication bool
	// DebtStatus is the debt's collection status ("" is active).
	DebtStatus DebtStatus

	// AgentReserved says that the call about to be placed has an agent
	// reserved for it (progressive or preview dialing), so that it cannot
	// be abandoned; it lifts the no-recall rule after an abandoned call when
	// the policy allows.
	AgentReserved bool
}

// Add records one attempt of the debtor in h: its originate time goes to
// DebtorAttempts, PhoneAttempts and, when it is on debtID, DebtAttempts; a
// bridged call on debtID sets LastConversation (its end), an abandoned
// call sets LastAbandoned for its number. Bridged calls count as
// conversations, which may be stricter than the law where the person who
// answered was not the debtor.
func (h *History) Add(a campaign.Attempt, debtID string) {
	at := a.OriginatedAt
	h.DebtorAttempts = append(h.DebtorAttempts, at)
	if a.DebtID == debtID {
		h.DebtAttempts = append(h.DebtAttempts, at)
	}
	if a.Phone != "" {
		if h.PhoneAttempts == nil {
			h.PhoneAttempts = make(map[string][]time.Time)
		}
		h.PhoneAttempts[a.Phone] = append(h.PhoneAttempts[a.Phone], at)
	}
	last := latest(a.OriginatedAt, a.AnsweredAt, a.BridgedAt, a.EndedAt)
	switch a.Outcome {
	case campaign.OutcomeBridged:
		if a.DebtID == debtID && last.After(h.LastConversation) {
			h.LastConversation = last
		}
	case campaign.OutcomeAbandoned:
		if h.LastAbandoned == nil {
			h.LastAbandoned = make(map[string]time.Time)
		}
		if last.After(h.LastAbandoned[a.Phone]) {
			h.LastAbandoned[a.Phone] = last
		}
	}
}

func latest(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// Decision is the result of Check.
type Decision struct {
	// Allowed: the call may be placed now.
	Allowed bool
	// Rule is the id of the rule that blocks the call ("" when allowed):
	// a rule that never passes by itself first, else the first failing
	// rule in the order window, caps, cool-off, abandon.
	Rule string
	// Reason explains Rule in words. It holds no unmasked number or name.
	Reason string
	// Failed lists every rule that blocks the call at the instant checked,
	// Rule first.
	Failed []string
	// NextEligible is the first instant at which every rule allows the call,
	// given no new attempts: now when Allowed, and the zero time when the
	// call is never allowed (see Never) or not within Horizon.
	NextEligible time.Time
	// NextRule is the rule whose end fixed NextEligible ("" when allowed
	// now or never).
	NextRule string
}

// Never reports whether the call is not allowed now and will not become
// allowed by the passing of time: the debt should be finished (or the
// number skipped), not rescheduled.
func (d Decision) Never() bool { return !d.Allowed && d.NextEligible.IsZero() }

// Scope names whose attempts a Limit counts.
type Scope string

// Scopes of limits.
const (
	ScopeDebtor Scope = "debtor"
	ScopeDebt   Scope = "debt"
	ScopePhone  Scope = "phone"
)

// Limit is one attempt cap as it applies at one instant: the call is
// allowed by it when fewer than Max attempts of the scope's list lie in
// [Since, Until). A Redis implementation keeps each list as a sorted set
// scored by Unix milliseconds and checks ZCOUNT inside its claim script,
// with the bounds computed here.
type Limit struct {
	Rule  string
	Scope Scope
	Phone string // the number, for ScopePhone
	Max   int
	// Since is the first instant counted (zero: from the beginning).
	Since time.Time
	// Until is the end of the counted range, exclusive (zero: no end).
	Until time.Time
	// Rolling is the length of a rolling window (0 for calendar days and
	// totals): an attempt stops counting Rolling after it was made.
	Rolling time.Duration
	// Zone is the zone whose local day a per-day limit counts.
	Zone string
}

// Count counts the attempts in the limit's range.
func (l Limit) Count(times []time.Time) int {
	n := 0
	for _, t := range times {
		if l.in(t) {
			n++
		}
	}
	return n
}

func (l Limit) in(t time.Time) bool {
	return (l.Since.IsZero() || !t.Before(l.Since)) && (l.Until.IsZero() || t.Before(l.Until))
}

// FreeAt returns when the limit stops blocking, if no attempt is added:
// the end of the local day for per-day limits, the moment enough attempts
// age out of a rolling window, and the zero time (never) for totals. It is
// only meaningful when Count(times) >= Max.
func (l Limit) FreeAt(times []time.Time) time.Time {
	if l.Rolling > 0 {
		var in []time.Time
		for _, t := range times {
			if l.in(t) {
				in = append(in, t)
			}
		}
		if len(in) < l.Max {
			return time.Time{}
		}
		slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
		// Once the (len-Max)th oldest ages out, Max-1 remain.
		return in[len(in)-l.Max].Add(l.Rolling)
	}
	return l.Until
}

// Limits lists the attempt caps that apply to a call to phone at now, for a
// debtor in zones: one limit per cap and, for per-day caps, per zone whose
// local day differs.
func (p Policy) Limits(now time.Time, phone string, zones []*time.Location) []Limit {
	var out []Limit
	perDay := func(rule string, scope Scope, ph string, max int) {
		if max <= 0 {
			return
		}
		seen := make(map[[2]time.Time]bool)
		for _, z := range zones {
			if z == nil {
				continue
			}
			start, next := dayBounds(now, z)
			key := [2]time.Time{start, next}
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Limit{Rule: rule, Scope: scope, Phone: ph, Max: max, Since: start, Until: next, Zone: z.String()})
		}
	}
	rolling := func(rule string, scope Scope, max int) {
		if max <= 0 {
			return
		}
		out = append(out, Limit{Rule: rule, Scope: scope, Max: max, Since: now.Add(-Week).Add(time.Nanosecond), Rolling: Week})
	}
	perDay(RuleCapDebtorDay, ScopeDebtor, "", p.Caps.PerDebtorPerDay)
	rolling(RuleCapDebtor7d, ScopeDebtor, p.Caps.PerDebtorPer7Days)
	perDay(RuleCapPhoneDay, ScopePhone, phone, p.Caps.PerPhonePerDay)
	if p.Caps.PerDebtTotal > 0 {
		out = append(out, Limit{Rule: RuleCapDebtTotal, Scope: ScopeDebt, Max: p.Caps.PerDebtTotal})
	}
	rolling(RuleCapDebt7d, ScopeDebt, p.Caps.PerDebtPer7Days)
	return out
}

func (h History) times(l Limit) []time.Time {
	switch l.Scope {
	case ScopeDebtor:
		return h.DebtorAttempts
	case ScopeDebt:
		return h.DebtAttempts
	case ScopePhone:
		return h.PhoneAttempts[l.Phone]
	}
	return nil
}

// violation is one failing rule at one instant; until is the first instant
// at which it may pass (zero: never).
type violation struct {
	rule, reason string
	until        time.Time
}

// checker evaluates one policy for one call.
type checker struct {
	p     Policy
	cal   *calendar
	phone string
	zones []*time.Location
	h     History
	limit time.Time // search horizon
}

// maxIterations bounds the fixed-point search; each iteration moves past at
// least one rule's end, so it is never reached in practice.
const maxIterations = 10000

// Check decides whether a call to phone for debt may be placed at now, for a
// debtor in zones (from ZonesForDebt) with history h. It evaluates every
// rule at now; when the call is blocked it searches for the first instant at
// which all rules allow it, moving to the latest end of the failing rules
// (the next window opening, the next local day, an attempt ageing out of a
// rolling window, the end of a cool-off) until all pass. Check is pure and
// deterministic.
func (p Policy) Check(now time.Time, debt campaign.Debt, phone string, zones []*time.Location, h History) Decision {
	c := &checker{p: p, cal: p.calendar(), phone: phone, zones: zones, h: h, limit: now.Add(Horizon)}
	perm := c.permanent(debt)
	vs := c.timed(now, true)
	if len(perm) == 0 && len(vs) == 0 {
		return Decision{Allowed: true, NextEligible: now}
	}
	all := append(perm, vs...)
	d := Decision{Rule: all[0].rule, Reason: all[0].reason}
	for _, v := range all {
		d.Failed = append(d.Failed, v.rule)
	}
	if len(perm) > 0 {
		return d
	}
	if v, ok := firstNever(vs); ok {
		d.Rule, d.Reason = v.rule, v.reason
		d.Failed = moveFirst(d.Failed, v.rule)
		return d
	}
	t := now
	for range maxIterations {
		next, rule := latestUntil(vs)
		if !next.After(t) { // a rule said it passes no later than now: bug guard
			next = t.Add(time.Second)
		}
		t = next
		if t.After(c.limit) {
			return d
		}
		vs = c.timed(t, true)
		if len(vs) == 0 {
			d.NextEligible, d.NextRule = t, rule
			return d
		}
		if _, ok := firstNever(vs); ok {
			return d
		}
	}
	return d
}

// CheckDebt checks each of the debt's numbers from debt.PhoneIndex on (the
// numbers before it were already given up by the retry rules) and returns
// the index of the number to dial with its allowed decision; when none is
// allowed, the number that becomes eligible first (the current one on
// ties), or the current one when none ever does. It returns -1 when the
// debt has no number left.
func (p Policy) CheckDebt(now time.Time, debt campaign.Debt, zones []*time.Location, h History) (int, Decision) {
	first := max(debt.PhoneIndex, 0)
	if first >= len(debt.Phones) {
		return -1, Decision{Rule: RuleNotDebtorNumber, Reason: "the debt has no number left to dial", Failed: []string{RuleNotDebtorNumber}}
	}
	bestIdx, best := -1, Decision{}
	for i := first; i < len(debt.Phones); i++ {
		d := p.Check(now, debt, debt.Phones[i], zones, h)
		if d.Allowed {
			return i, d
		}
		if bestIdx < 0 || (!d.Never() && (best.Never() || d.NextEligible.Before(best.NextEligible))) {
			bestIdx, best = i, d
		}
	}
	return bestIdx, best
}

// permanent evaluates the rules that do not pass with time.
func (c *checker) permanent(debt campaign.Debt) []violation {
	var vs []violation
	add := func(rule, reason string) { vs = append(vs, violation{rule: rule, reason: reason}) }
	switch {
	case c.phone == "":
		add(RuleNotDebtorNumber, "no number to dial")
	case !slices.Contains(debt.Phones, c.phone):
		add(RuleNotDebtorNumber, fmt.Sprintf("number %s is not one of the debt's numbers", maskPhone(c.phone)))
	}
	if c.h.DoNotCall[c.phone] {
		add(RuleDoNotCall, fmt.Sprintf("number %s is on the do-not-call list", maskPhone(c.phone)))
	}
	if c.h.CeaseCommunication {
		add(RuleCeaseCommunication, "the debtor asked to cease communication")
	}
	switch c.h.DebtStatus {
	case "", DebtActive:
	case DebtPaid:
		add(RuleDebtPaid, "the debt is paid")
	case DebtDisputed:
		add(RuleDebtDisputed, "the debt is disputed")
	case DebtInvestigation:
		add(RuleDebtInvestigation, "the debt is under investigation")
	default:
		add(RuleDebtStatusUnknown, fmt.Sprintf("unknown debt status %q; only active debts are called", string(c.h.DebtStatus)))
	}
	if !zonesOK(c.zones) {
		add(RuleZoneUnknown, "no time zone is known for the debtor")
	}
	if n := c.p.Caps.PerDebtTotal; n > 0 && len(c.h.DebtAttempts) >= n {
		add(RuleCapDebtTotal, fmt.Sprintf("the debt already had %d attempts; the cap is %d in total", len(c.h.DebtAttempts), n))
	}
	return vs
}

// timed evaluates the rules that pass with time, at t, in the order of
// precedence. With ends false it leaves the window's end unset (it is the
// only costly one to compute).
func (c *checker) timed(t time.Time, ends bool) []violation {
	var vs []violation
	if !zonesOK(c.zones) {
		return nil // reported by permanent
	}
	if !c.cal.allowed(t, c.zones) {
		v := c.windowViolation(t)
		if !ends {
			return append(vs, v)
		}
		v.until = c.cal.nextAllowed(t, c.zones, c.limit)
		if v.until.IsZero() {
			v.rule = RuleWindow
			v.reason = fmt.Sprintf("the calling window %s is never open on an allowed day in all of the debtor's zones (%s) within %s",
				c.p.Window, zoneNames(c.zones), FormatDuration(Horizon))
		}
		vs = append(vs, v)
	}
	for _, l := range c.p.Limits(t, c.phone, c.zones) {
		if l.Rule == RuleCapDebtTotal {
			continue // permanent
		}
		times := c.h.times(l)
		n := l.Count(times)
		if n < l.Max {
			continue
		}
		vs = append(vs, violation{rule: l.Rule, reason: limitReason(l, n, t, c.phone), until: l.FreeAt(times)})
	}
	if d := c.p.CoolOffAfterConversation; d > 0 && !c.h.LastConversation.IsZero() {
		if end := c.h.LastConversation.Add(d); t.Before(end) {
			vs = append(vs, violation{rule: RuleCoolOff, until: end, reason: fmt.Sprintf(
				"telephone conversation about this debt at %s; no call for %s after it, until %s",
				fmtTime(c.h.LastConversation), FormatDuration(d), fmtTime(end))})
		}
	}
	if d := c.p.AbandonNoRecall; d > 0 && !(c.p.AbandonNoRecallUnlessAgentReserved && c.h.AgentReserved) {
		if last := c.h.LastAbandoned[c.phone]; !last.IsZero() {
			if end := last.Add(d); t.Before(end) {
				reason := fmt.Sprintf("a call to %s was abandoned at %s; no repeat call for %s, until %s",
					maskPhone(c.phone), fmtTime(last), FormatDuration(d), fmtTime(end))
				if c.p.AbandonNoRecallUnlessAgentReserved {
					reason += " (allowed earlier with an agent reserved for the call)"
				}
				vs = append(vs, violation{rule: RuleAbandon72h, until: end, reason: reason})
			}
		}
	}
	return vs
}

// windowViolation names why the window is closed at t: the first zone in
// which it is closed decides between holiday, day of week and hours.
func (c *checker) windowViolation(t time.Time) violation {
	for _, z := range c.zones {
		if c.cal.open(z, t) {
			continue
		}
		lt := t.In(z)
		day := DateOf(lt)
		switch {
		case c.cal.holidays[day.epochDay()]:
			return violation{rule: RuleHoliday, reason: fmt.Sprintf("%s is a campaign holiday in %s", day, z)}
		case !c.cal.days[lt.Weekday()]:
			return violation{rule: RuleDayOfWeek, reason: fmt.Sprintf("%s is not a calling day (%s in %s)", lt.Weekday(), day, z)}
		default:
			return violation{rule: RuleWindow, reason: fmt.Sprintf("local time %s in %s is outside the calling window %s",
				lt.Format("Mon 2006-01-02 15:04 MST"), z, c.p.Window)}
		}
	}
	return violation{rule: RuleWindow, reason: "outside the calling window " + c.p.Window.String()}
}

func limitReason(l Limit, n int, t time.Time, phone string) string {
	switch l.Rule {
	case RuleCapDebtorDay:
		return fmt.Sprintf("the debtor already had %d attempts on %s (local day in %s); the cap is %d a day", n, DateOf(t.In(zoneOrUTC(l.Zone))), l.Zone, l.Max)
	case RuleCapPhoneDay:
		return fmt.Sprintf("number %s already had %d attempts on %s (local day in %s); the cap is %d a day", maskPhone(phone), n, DateOf(t.In(zoneOrUTC(l.Zone))), l.Zone, l.Max)
	case RuleCapDebtor7d:
		return fmt.Sprintf("the debtor already had %d attempts in the last 7 days; the cap is %d", n, l.Max)
	case RuleCapDebt7d:
		return fmt.Sprintf("the debt already had %d attempts in the last 7 days; the cap is %d", n, l.Max)
	}
	return fmt.Sprintf("%s: %d attempts, cap %d", l.Rule, n, l.Max)
}

func zoneOrUTC(name string) *time.Location {
	if loc, err := loadZone(name); err == nil {
		return loc
	}
	return time.UTC
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func firstNever(vs []violation) (violation, bool) {
	for _, v := range vs {
		if v.until.IsZero() {
			return v, true
		}
	}
	return violation{}, false
}

func latestUntil(vs []violation) (time.Time, string) {
	var t time.Time
	rule := ""
	for _, v := range vs {
		if v.until.After(t) {
			t, rule = v.until, v.rule
		}
	}
	return t, rule
}

func moveFirst(s []string, v string) []string {
	i := slices.Index(s, v)
	if i <= 0 {
		return s
	}
	out := append([]string{v}, s[:i]...)
	return append(out, s[i+1:]...)
}
