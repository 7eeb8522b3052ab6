package compliance

import (
	"fmt"
	"strings"
	"time"
)

// Record is one audit entry: the decision taken for one claim of one debt.
// It is built from a Decision by NewRecord and stored as the flat string
// fields of Fields (a Redis stream entry); it never holds an unmasked
// number or the debtor's name.
type Record struct {
	At           time.Time
	CampaignID   string
	DebtID       string
	Phone        string // masked
	Allowed      bool
	Rule         string
	Failed       []string
	Reason       string
	NextEligible time.Time // zero: never
	NextRule     string
	ZoneSource   string   // ZoneSourceDebt, ZoneSourcePhone or ZoneSourceDefault
	Zones        []string // IANA names
	Note         string   // ZoneSourceNote when the zone was not the debt's own
}

// NewRecord builds the audit record of decision d, taken at now for a call
// to phone on the debt campaignID/debtID, with the zones and zone source of
// ZonesForDebt.
func NewRecord(now time.Time, campaignID, debtID, phone string, zones []*time.Location, zoneSource string, d Decision) Record {
	r := Record{
		At:           now,
		CampaignID:   campaignID,
		DebtID:       debtID,
		Phone:        maskPhone(phone),
		Allowed:      d.Allowed,
		Rule:         d.Rule,
		Failed:       d.Failed,
		Reason:       d.Reason,
		NextEligible: d.NextEligible,
		NextRule:     d.NextRule,
		ZoneSource:   zoneSource,
	}
	for _, z := range zones {
		if z != nil {
			r.Zones = append(r.Zones, z.String())
		}
	}
	if zoneSource == ZoneSourceDefault {
		r.Note = ZoneSourceNote(zoneSource)
	}
	return r
}

// Record field names.
const (
	recAt, recCampaign, recDebt, recPhone, recAllowed   = "at", "campaign_id", "debt_id", "phone", "allowed"
	recRule, recFailed, recReason, recNext, recNextRule = "rule", "failed", "reason", "next_eligible", "next_rule"
	recZoneSource, recZones, recNote                    = "zone_source", "zones", "note"
)

// Fields encodes r as flat string fields: times in RFC 3339 with
// nanoseconds (UTC; "" for never), allowed as "1"/"0", lists
// comma-separated.
func (r Record) Fields() map[string]string {
	allowed := "0"
	if r.Allowed {
		allowed = "1"
	}
	next := ""
	if !r.NextEligible.IsZero() {
		next = r.NextEligible.UTC().Format(time.RFC3339Nano)
	}
	return map[string]string{
		recAt:         r.At.UTC().Format(time.RFC3339Nano),
		recCampaign:   r.CampaignID,
		recDebt:       r.DebtID,
		recPhone:      r.Phone,
		recAllowed:    allowed,
		recRule:       r.Rule,
		recFailed:     strings.Join(r.Failed, ","),
		recReason:     r.Reason,
		recNext:       next,
		recNextRule:   r.NextRule,
		recZoneSource: r.ZoneSource,
		recZones:      strings.Join(r.Zones, ","),
		recNote:       r.Note,
	}
}

// ParseRecord decodes the fields written by Record.Fields. Unknown fields
// are ignored (newer writers may add some); a missing or malformed time or
// flag is an error.
func ParseRecord(f map[string]string) (Record, error) {
	at, err := time.Parse(time.RFC3339Nano, f[recAt])
	if err != nil {
		return Record{}, fmt.Errorf("audit record field %s: %w", recAt, ErrSyntax)
	}
	r := Record{
		At:         at,
		CampaignID: f[recCampaign],
		DebtID:     f[recDebt],
		Phone:      f[recPhone],
		Rule:       f[recRule],
		Failed:     splitList(f[recFailed]),
		Reason:     f[recReason],
		NextRule:   f[recNextRule],
		ZoneSource: f[recZoneSource],
		Zones:      splitList(f[recZones]),
		Note:       f[recNote],
	}
	switch f[recAllowed] {
	case "1":
		r.Allowed = true
	case "0":
	default:
		return Record{}, fmt.Errorf("audit record field %s: want 0 or 1: %w", recAllowed, ErrSyntax)
	}
	if s := f[recNext]; s != "" {
		if r.NextEligible, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return Record{}, fmt.Errorf("audit record field %s: %w", recNext, ErrSyntax)
		}
	}
	return r, nil
}

// String explains the record in one line, as `duecall audit` prints it.
func (r Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s debt %s/%s number %s: ", r.At.UTC().Format(time.RFC3339), r.CampaignID, r.DebtID, r.Phone)
	if r.Allowed {
		b.WriteString("dialled")
	} else {
		fmt.Fprintf(&b, "not dialled: %s (%s)", r.Rule, r.Reason)
		if len(r.Failed) > 1 {
			fmt.Fprintf(&b, "; also %s", strings.Join(r.Failed[1:], ","))
		}
		if r.NextEligible.IsZero() {
			b.WriteString("; never eligible")
		} else {
			fmt.Fprintf(&b, "; next eligible %s", r.NextEligible.UTC().Format(time.RFC3339))
			if r.NextRule != "" {
				fmt.Fprintf(&b, " (end of %s)", r.NextRule)
			}
		}
	}
	fmt.Fprintf(&b, "; zones %s from %s", strings.Join(r.Zones, ","), r.ZoneSource)
	if r.Note != "" {
		b.WriteString(" (" + r.Note + ")")
	}
	return b.String()
}
