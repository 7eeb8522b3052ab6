package redisstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/compliance"
)

// propDebt is a debt of the property test with the zones its debtor is
// in, as the test expects them (checked against compliance.ZonesForDebt).
type propDebt struct {
	debt   campaign.Debt
	debtor string
	zones  []string
}

// admission is one call the gate allowed.
type admission struct {
	camp, debt, debtor, phone string
	at                        time.Time
	seq                       int64 // taken before Admit ran
}

// flagEvent is an outcome or a flag recorded in the gate: what it
// concerns, when (virtual time) and the sequence number taken after it was
// written.
type flagEvent struct {
	key string // debt "c/d", or number
	at  time.Time
	seq int64
}

type refusal struct {
	camp, debt, rule string
	next             time.Time
}

// TestGateProperty runs random schedules of claims from 4 concurrent
// workers against a real Redis over four simulated weeks (including the US
// daylight-saving change of 2026-03-08), with debtors spread over two
// campaigns, several zones and shared numbers, outcomes fed back through
// Record, and numbers, statuses and cease flags changed on the way. It then
// recounts every cap and checks every window, cool-off, no-recall period
// and flag from the admissions recorded, and checks that the audit trail
// explains every refusal.
func TestGateProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))

	const (
		capDebtorDay = 3
		capDebtor7d  = 8
		capPhoneDay  = 2
		capDebtTotal = 14
		capDebt7d    = 5
		coolOff      = 2 * 24 * time.Hour
		noRecall     = 72 * time.Hour
		winStart     = 8
		winEnd       = 20
	)
	o, err := compliance.ParseOverrides(map[string]string{
		"window": "08:00-20:00", "days": "mon-sat",
		"caps.per_debtor_per_day": "3", "caps.per_debtor_per_7_days": "8", "caps.per_phone_per_day": "2",
		"caps.per_debt_total": "14", "caps.per_debt_per_7_days": "5",
		"cool_off_after_conversation": "2d", "abandon_no_recall": "72h", "default_zone": "Asia/Ho_Chi_Minh",
	})
	if err != nil {
		t.Fatal(err)
	}
	pol, _, err := compliance.Resolve(compliance.PresetVN, o)
	if err != nil {
		t.Fatal(err)
	}
	camps := []string{"c1", "c2"}
	e := newGateEnv(t, nil, map[string]compliance.Policy{"c1": pol, "c2": pol})

	// Debtors: a zone, one or two numbers of that zone, one to three debts
	// spread over the campaigns. Two Vietnamese debtors share a number, and
	// one debt has both a Vietnamese and a New York number (calls only
	// when both windows are open).
	type zoneNums struct {
		zone   string
		format string
	}
	zoneKinds := []zoneNums{
		{"Asia/Ho_Chi_Minh", "+8491%07d"},
		{"America/New_York", "+1212555%04d"},
		{"America/Los_Angeles", "+1415555%04d"},
		{"Europe/London", "+44207946%04d"},
	}
	var debts []propDebt
	next := 100
	num := func(k zoneNums) string { next++; return fmt.Sprintf(k.format, next) }
	sharedVN := num(zoneKinds[0])
	for i := range 14 {
		k := zoneKinds[i%len(zoneKinds)]
		debtor := fmt.Sprintf("P%02d", i)
		phones := []string{num(k)}
		if rng.IntN(2) == 0 {
			phones = append(phones, num(k))
		}
		if i == 0 || i == 4 {
			phones = append(phones, sharedVN)
		}
		for j := range 1 + rng.IntN(3) {
			d := gdebt(camps[rng.IntN(2)], fmt.Sprintf("%s-%d", debtor, j), debtor, slices.Clone(phones)...)
			debts = append(debts, propDebt{debt: d, debtor: "id:" + debtor, zones: []string{k.zone}})
		}
	}
	// One debt with a New York timezone column and Vietnamese numbers: the
	// column wins.
	tzd := gdebt("c1", "TZ-0", "TZ", num(zoneKinds[0]))
	tzd.Timezone = "America/New_York"
	debts = append(debts, propDebt{debt: tzd, debtor: "id:TZ", zones: []string{"America/New_York"}})
	// A debtor in two zones at once.
	mz := gdebt("c2", "MZ-0", "MZ", num(zoneKinds[0]), num(zoneKinds[1]))
	debts = append(debts, propDebt{debt: mz, debtor: "id:MZ", zones: []string{"Asia/Ho_Chi_Minh", "America/New_York"}})

	byKey := map[string]propDebt{}
	zonesOf := map[string][]*time.Location{} // debtor key -> zones
	for _, pd := range debts {
		d := pd.debt
		d.DueDate = time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)
		pd.debt = d
		zs, _, err := compliance.ZonesForDebt(d.Timezone, d.Phones, pol.DefaultZone)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, z := range zs {
			names = append(names, z.String())
		}
		if !slices.Equal(names, pd.zones) {
			t.Fatalf("debt %s: zones %v, want %v", d.ID, names, pd.zones)
		}
		byKey[d.CampaignID+"/"+d.ID] = pd
		zonesOf[pd.debtor] = zs
		e.upsert(d)
	}
	rules := campaign.Rules{Retry: map[campaign.Outcome]campaign.RetryRule{
		campaign.OutcomeBridged:   {Action: campaign.RetryLater, Delay: time.Hour},
		campaign.OutcomeAbandoned: {Action: campaign.RetryLater, Delay: 30 * time.Minute},
		campaign.OutcomeNoAnswer:  {Action: campaign.RetryLater, Delay: 20 * time.Minute},
		campaign.OutcomeBusy:      {Action: campaign.RetryLater, Delay: 5 * time.Minute},
	}}

	var (
		clock = atomic.Int64{} // virtual unix ms
		seq   atomic.Int64
		mu    sync.Mutex
		adms  []admission
		convs []flagEvent // debt "c/d"
		abds  []flagEvent // number
		dncs  []flagEvent // number
		stops []flagEvent // debt "c/d" (paid) or debtor key (cease)
		refs  []refusal
	)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) // a Sunday
	end := start.Add(28 * 24 * time.Hour)
	clock.Store(start.UnixMilli())

	worker := func(w int) error {
		r := rand.New(rand.NewPCG(seed, uint64(w)+100))
		for n := 0; ; n++ {
			now := time.UnixMilli(clock.Add(int64(time.Duration(1+r.IntN(14)) * time.Minute / time.Millisecond))).UTC()
			if now.After(end) {
				return nil
			}
			ctx := ctxT(t)
			// An operator changes flags on the way: every number of one
			// debt goes on the do-not-call list, another debt is paid, a
			// third debtor asks to cease communication.
			if w == 0 && (n == 40 || n == 80 || n == 120) {
				// Three different debtors: a blocked debt reports the
				// first flag that blocks it.
				pd := map[int]propDebt{40: debts[1], 80: debts[len(debts)-2], 120: debts[len(debts)-1]}[n]
				var evs []flagEvent
				switch n {
				case 40:
					if _, err := e.g.AddDoNotCall(ctx, pd.debt.Phones, "property"); err != nil {
						return err
					}
					for _, number := range pd.debt.Phones {
						evs = append(evs, flagEvent{key: number})
					}
				case 80:
					if _, err := e.g.SetDebtStatus(ctx, pd.debt.CampaignID, pd.debt.ID, compliance.DebtPaid, "property"); err != nil {
						return err
					}
					evs = append(evs, flagEvent{key: pd.debt.CampaignID + "/" + pd.debt.ID})
				case 120:
					if _, err := e.g.SetCease(ctx, pd.debtor, true, "property"); err != nil {
						return err
					}
					evs = append(evs, flagEvent{key: pd.debtor})
				}
				done := seq.Add(1)
				mu.Lock()
				for _, ev := range evs {
					ev.at, ev.seq = now, done
					if n == 40 {
						dncs = append(dncs, ev)
					} else {
						stops = append(stops, ev)
					}
				}
				mu.Unlock()
			}
			camp := camps[r.IntN(len(camps))]
			l, err := e.s.Claim(ctx, camp, fmt.Sprintf("w%d", w), now, time.Hour)
			if errors.Is(err, campaign.ErrNoDebtDue) {
				continue
			}
			if err != nil {
				return err
			}
			s := seq.Add(1)
			adm, err := e.g.Admit(ctx, l, now)
			if err != nil {
				return err
			}
			key := camp + "/" + l.DebtID
			if !adm.Allowed {
				mu.Lock()
				refs = append(refs, refusal{camp: camp, debt: l.DebtID, rule: adm.Rule, next: adm.NextEligible})
				mu.Unlock()
				continue
			}
			l.Debt.PhoneIndex = adm.PhoneIndex
			number := l.Debt.Phone()
			mu.Lock()
			adms = append(adms, admission{camp: camp, debt: key, debtor: byKey[key].debtor, phone: number, at: now, seq: s})
			mu.Unlock()
			o := []campaign.Outcome{campaign.OutcomeBridged, campaign.OutcomeAbandoned, campaign.OutcomeNoAnswer,
				campaign.OutcomeNoAnswer, campaign.OutcomeBusy, campaign.OutcomeBusy}[r.IntN(6)]
			a := campaign.Attempt{ID: fmt.Sprintf("a-%d-%d", w, n), CampaignID: camp, DebtID: l.DebtID, Phone: number,
				Outcome: o, OriginatedAt: now, EndedAt: now.Add(time.Duration(30+r.IntN(300)) * time.Second)}
			if o.Answered() {
				a.AnsweredAt = now.Add(10 * time.Second)
			}
			if o == campaign.OutcomeBridged {
				a.BridgedAt = now.Add(11 * time.Second)
			}
			if err := e.g.Record(ctx, a); err != nil {
				return err
			}
			done := seq.Add(1)
			mu.Lock()
			switch o {
			case campaign.OutcomeBridged:
				convs = append(convs, flagEvent{key: key, at: a.EndedAt, seq: done})
			case campaign.OutcomeAbandoned:
				abds = append(abds, flagEvent{key: number, at: a.EndedAt, seq: done})
			}
			mu.Unlock()
			sched := rules.Next(l.Debt, l.Debt.Attempts+1, o, a.EndedAt)
			if err := e.s.Complete(ctx, l, a, sched); err != nil && !errors.Is(err, campaign.ErrLeaseLost) {
				return err
			}
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); errs[w] = worker(w) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d calls admitted, %d refused, %d conversations, %d abandons", len(adms), len(refs), len(convs), len(abds))

	// The schedule must have exercised the rules.
	refused := map[string]int{}
	for _, r := range refs {
		refused[r.rule]++
	}
	t.Logf("refusals by rule: %v", refused)
	if len(adms) < 150 {
		t.Errorf("only %d calls admitted", len(adms))
	}
	for _, rule := range []string{compliance.RuleWindow, compliance.RuleDayOfWeek, compliance.RuleCapDebtorDay,
		compliance.RuleCapDebt7d, compliance.RuleCoolOff, compliance.RuleDoNotCall, compliance.RuleDebtPaid,
		compliance.RuleCeaseCommunication} {
		if refused[rule] == 0 {
			t.Errorf("no refusal by %s: the schedule did not test it", rule)
		}
	}

	slices.SortFunc(adms, func(a, b admission) int { return a.at.Compare(b.at) })
	// Windows and days in every zone of the debtor.
	for _, a := range adms {
		for _, z := range zonesOf[a.debtor] {
			lt := a.at.In(z)
			if lt.Hour() < winStart || lt.Hour() >= winEnd || lt.Weekday() == time.Sunday {
				t.Errorf("call on %s at %s local time in %s: outside Mon-Sat 08:00-20:00", a.debt, lt.Format("Mon 15:04"), z)
			}
		}
	}
	// Caps, recounted.
	perDay := func(name, what string, group func(admission) string, zones func(admission) []*time.Location, limit int) {
		count := map[string]int{}
		for _, a := range adms {
			for _, z := range zones(a) {
				k := group(a) + " " + z.String() + " " + a.at.In(z).Format("2006-01-02")
				count[k]++
				if count[k] == limit+1 {
					t.Errorf("%s: %s %s had more than %d calls", name, what, k, limit)
				}
			}
		}
	}
	debtorZones := func(a admission) []*time.Location { return zonesOf[a.debtor] }
	perDay("debtor per day", "debtor", func(a admission) string { return a.debtor }, debtorZones, capDebtorDay)
	perDay("number per day", "number", func(a admission) string { return a.phone }, debtorZones, capPhoneDay)
	rolling := func(name string, group func(admission) string, limit int) {
		by := map[string][]time.Time{}
		for _, a := range adms {
			by[group(a)] = append(by[group(a)], a.at)
		}
		for k, ts := range by {
			for i := range ts {
				n := 0
				for j := i; j < len(ts) && ts[j].Sub(ts[i]) < compliance.Week; j++ {
					n++
				}
				if n > limit {
					t.Errorf("%s: %s had %d calls in the 7 days from %v (cap %d)", name, k, n, ts[i], limit)
				}
			}
		}
	}
	rolling("debtor per 7 days", func(a admission) string { return a.debtor }, capDebtor7d)
	rolling("debt per 7 days", func(a admission) string { return a.debt }, capDebt7d)
	total := map[string]int{}
	for _, a := range adms {
		if total[a.debt]++; total[a.debt] == capDebtTotal+1 {
			t.Errorf("debt %s had more than %d calls", a.debt, capDebtTotal)
		}
	}
	// Cool-offs, no-recall periods and flags written before a call began
	// were honoured.
	for _, a := range adms {
		for _, c := range convs {
			if c.key == a.debt && c.seq < a.seq && a.at.Before(c.at.Add(coolOff)) {
				t.Errorf("call on %s at %v within %v of the conversation ended at %v", a.debt, a.at, coolOff, c.at)
			}
		}
		for _, ab := range abds {
			if ab.key == a.phone && ab.seq < a.seq && a.at.Before(ab.at.Add(noRecall)) {
				t.Errorf("call to a number at %v within %v of its abandoned call at %v", a.at, noRecall, ab.at)
			}
		}
		for _, d := range dncs {
			if d.key == a.phone && d.seq < a.seq {
				t.Errorf("call on %s at %v to a number put on the do-not-call list at %v", a.debt, a.at, d.at)
			}
		}
		for _, s := range stops {
			if (s.key == a.debt || s.key == a.debtor) && s.seq < a.seq {
				t.Errorf("call on %s at %v after %s was stopped at %v", a.debt, a.at, s.key, s.at)
			}
		}
	}
	// The audit explains every refusal, and no debt was lost.
	for _, r := range refs {
		recs, err := e.g.Decisions(ctxT(t), r.camp, r.debt)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, rec := range recs {
			if !rec.Allowed && rec.Rule == r.rule && rec.Reason != "" {
				found = found || r.next.IsZero() || ceilSec(rec.NextEligible).Equal(r.next)
			}
		}
		if !found {
			t.Errorf("the audit of %s/%s does not explain its refusal by %s (next %v)", r.camp, r.debt, r.rule, r.next)
		}
	}
	for _, pd := range debts {
		d := e.debt(pd.debt.CampaignID, pd.debt.ID)
		if d.State != campaign.StateQueued && d.State != campaign.StateFinished {
			t.Errorf("debt %s is %s at the end", d.ID, d.State)
		}
		if d.State == campaign.StateFinished && d.FinishReason == "" {
			t.Errorf("debt %s finished without a reason", d.ID)
		}
	}
}

func ceilSec(t time.Time) time.Time {
	s := t.Truncate(time.Second)
	if s.Before(t) {
		s = s.Add(time.Second)
	}
	return s
}
