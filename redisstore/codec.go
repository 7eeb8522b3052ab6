package redisstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/duecall/duecall/campaign"
)

// msString encodes a time as unix milliseconds, "" for the zero time.
func msString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// parseMs decodes msString: "" is the zero time, others are UTC.
func parseMs(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	t := time.UnixMilli(ms).UTC()
	if t.IsZero() {
		return time.Time{}, nil
	}
	return t, nil
}

// pairs turns a flat [field, value, ...] reply into a map.
func pairs(v any) map[string]string {
	l, _ := v.([]any)
	m := make(map[string]string, len(l)/2)
	for i := 0; i+1 < len(l); i += 2 {
		k, _ := l[i].(string)
		val, _ := l[i+1].(string)
		m[k] = val
	}
	return m
}

// debtData is a debt's imported data, stored as JSON apart from its
// dialing state: a debtor's profile easily exceeds the 64 bytes up to which
// Redis keeps a hash compact, and would triple the memory of every debt.
type debtData struct {
	Name     string            `json:"name,omitempty"`
	Phones   []string          `json:"phones,omitempty"`
	Amount   string            `json:"amount,omitempty"`
	Currency string            `json:"currency,omitempty"`
	DueMs    *int64            `json:"due_ms,omitempty"`
	Timezone string            `json:"tz,omitempty"`
	Priority int               `json:"priority,omitempty"`
	Notes    string            `json:"notes,omitempty"`
	Profile  map[string]string `json:"profile,omitempty"`
}

func encodeData(d campaign.Debt) (string, error) {
	v := debtData{
		Name: d.DebtorName, Phones: d.Phones, Amount: d.Amount, Currency: d.Currency,
		Timezone: d.Timezone, Priority: d.Priority, Notes: d.Notes, Profile: d.Profile,
	}
	if !d.DueDate.IsZero() {
		ms := d.DueDate.UnixMilli()
		v.DueMs = &ms
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// decodeDebt builds a Debt from its state hash and data JSON.
func decodeDebt(campaignID, id string, m map[string]string, data string) (campaign.Debt, error) {
	d := campaign.Debt{
		ID:           id,
		CampaignID:   campaignID,
		State:        campaign.DebtState(m["state"]),
		LastOutcome:  campaign.Outcome(m["last_outcome"]),
		FinishReason: m["finish_reason"],
	}
	if data != "" {
		var v debtData
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return campaign.Debt{}, fmt.Errorf("redisstore: debt %s of campaign %s: data: %w", id, campaignID, err)
		}
		d.DebtorName, d.Phones, d.Amount, d.Currency = v.Name, v.Phones, v.Amount, v.Currency
		d.Timezone, d.Priority, d.Notes, d.Profile = v.Timezone, v.Priority, v.Notes, v.Profile
		if v.DueMs != nil {
			d.DueDate = time.UnixMilli(*v.DueMs).UTC()
		}
	}
	bad := func(field string, err error) (campaign.Debt, error) {
		return campaign.Debt{}, fmt.Errorf("redisstore: debt %s of campaign %s: field %s %q: %w", id, campaignID, field, m[field], err)
	}
	var err error
	for _, f := range []struct {
		name string
		into *int
	}{{"attempts", &d.Attempts}, {"phone", &d.PhoneIndex}} {
		if m[f.name] == "" {
			continue
		}
		if *f.into, err = strconv.Atoi(m[f.name]); err != nil {
			return bad(f.name, err)
		}
	}
	for _, f := range []struct {
		name string
		into *time.Time
	}{{"next", &d.NextAttemptAt}, {"updated", &d.UpdatedAt}} {
		if *f.into, err = parseMs(m[f.name]); err != nil {
			return bad(f.name, err)
		}
	}
	return d, nil
}

// attemptFields are an attempt's fields in the attempt log.
func attemptFields(a campaign.Attempt) []any {
	return []any{
		"id", a.ID,
		"debt", a.DebtID,
		"phone", a.Phone,
		"agent", a.AgentID,
		"outcome", string(a.Outcome),
		"cause", strconv.Itoa(a.HangupCause),
		"reason", a.Reason,
		"originated", msString(a.OriginatedAt),
		"answered", msString(a.AnsweredAt),
		"bridged", msString(a.BridgedAt),
		"ended", msString(a.EndedAt),
		"disposition", a.Disposition,
	}
}

// decodeAttempt builds an Attempt from its log fields.
func decodeAttempt(campaignID string, m map[string]string) (campaign.Attempt, error) {
	a := campaign.Attempt{
		ID:          m["id"],
		CampaignID:  campaignID,
		DebtID:      m["debt"],
		Phone:       m["phone"],
		AgentID:     m["agent"],
		Outcome:     campaign.Outcome(m["outcome"]),
		Reason:      m["reason"],
		Disposition: m["disposition"],
	}
	bad := func(field string, err error) (campaign.Attempt, error) {
		return campaign.Attempt{}, fmt.Errorf("redisstore: attempt %s of campaign %s: field %s %q: %w", a.ID, campaignID, field, m[field], err)
	}
	var err error
	if c := m["cause"]; c != "" {
		if a.HangupCause, err = strconv.Atoi(c); err != nil {
			return bad("cause", err)
		}
	}
	for _, f := range []struct {
		name string
		into *time.Time
	}{{"originated", &a.OriginatedAt}, {"answered", &a.AnsweredAt}, {"bridged", &a.BridgedAt}, {"ended", &a.EndedAt}} {
		if *f.into, err = parseMs(m[f.name]); err != nil {
			return bad(f.name, err)
		}
	}
	return a, nil
}

// The counter hash fields, named like the JSON of campaign.Counters. The
// scripts add fields ending in "_seconds" with HINCRBYFLOAT, the others
// with HINCRBY.
var (
	intCounters = []struct {
		name string
		ref  func(*campaign.Counters) *int64
	}{
		{"calls_placed", func(c *campaign.Counters) *int64 { return &c.Placed }},
		{"answered", func(c *campaign.Counters) *int64 { return &c.Answered }},
		{"bridged", func(c *campaign.Counters) *int64 { return &c.Bridged }},
		{"abandoned", func(c *campaign.Counters) *int64 { return &c.Abandoned }},
		{"answered_hangup", func(c *campaign.Counters) *int64 { return &c.HungUpEarly }},
		{"busy", func(c *campaign.Counters) *int64 { return &c.Busy }},
		{"no_answer", func(c *campaign.Counters) *int64 { return &c.NoAnswer }},
		{"congestion", func(c *campaign.Counters) *int64 { return &c.Congestion }},
		{"invalid_number", func(c *campaign.Counters) *int64 { return &c.InvalidNumber }},
		{"failed", func(c *campaign.Counters) *int64 { return &c.Failed }},
		{"promise_to_pay", func(c *campaign.Counters) *int64 { return &c.PromiseToPay }},
	}
	floatCounters = []struct {
		name string
		ref  func(*campaign.Counters) *float64
	}{
		{"talk_seconds", func(c *campaign.Counters) *float64 { return &c.TalkSeconds }},
		{"ready_seconds", func(c *campaign.Counters) *float64 { return &c.ReadySeconds }},
		{"wrapup_seconds", func(c *campaign.Counters) *float64 { return &c.WrapUpSeconds }},
		{"paused_seconds", func(c *campaign.Counters) *float64 { return &c.PausedSeconds }},
	}
	counterFieldCount = len(intCounters) + len(floatCounters)
)

// counterIncrements lists the non-zero counters as field, increment pairs.
func counterIncrements(c campaign.Counters) []any {
	var out []any
	for _, f := range intCounters {
		if v := *f.ref(&c); v != 0 {
			out = append(out, f.name, strconv.FormatInt(v, 10))
		}
	}
	for _, f := range floatCounters {
		if v := *f.ref(&c); v != 0 {
			out = append(out, f.name, strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	return out
}

// decodeCounters reads a counter hash; unknown fields are ignored.
func decodeCounters(m map[string]string) (campaign.Counters, error) {
	var c campaign.Counters
	for _, f := range intCounters {
		if s, ok := m[f.name]; ok {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return c, fmt.Errorf("field %s %q: %w", f.name, s, err)
			}
			*f.ref(&c) = v
		}
	}
	for _, f := range floatCounters {
		if s, ok := m[f.name]; ok {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return c, fmt.Errorf("field %s %q: %w", f.name, s, err)
			}
			*f.ref(&c) = v
		}
	}
	return c, nil
}
