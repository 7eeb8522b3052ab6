package importer

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/phone"
)

// maxValueRunes is the length at which RowError.Value is cut.
const maxValueRunes = 40

// parse validates one row (with as many fields as the header) and returns
// the debt, or every error found in the row.
func (im *importer) parse(line int, rec []string) (campaign.Debt, []RowError) {
	var errs []RowError
	field := func(c column) string {
		if i := im.layout.index[c]; i >= 0 {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	bad := func(c column, value, reason string) {
		errs = append(errs, RowError{Line: line, Column: columnNames[c], Value: shownValue(c, value, im.opts.DefaultRegion), Reason: reason})
	}

	d := campaign.Debt{CampaignID: im.opts.CampaignID}

	d.ID = field(colDebtID)
	if reason := parseDebtID(d.ID); reason != "" {
		bad(colDebtID, d.ID, reason)
	}
	d.DebtorName = field(colName)
	if reason := parseName(d.DebtorName); reason != "" {
		bad(colName, d.DebtorName, reason)
	}

	d.Phones = make([]string, 0, 3)
	for _, c := range []column{colPhone, colPhone2, colPhone3} {
		raw := field(c)
		if raw == "" {
			if c == colPhone {
				bad(c, "", "required")
			}
			continue
		}
		num, err := phone.Normalize(raw, im.opts.DefaultRegion)
		if err != nil {
			reason := err.Error()
			var pe *phone.Error
			if errors.As(err, &pe) {
				reason = pe.Reason
				if !strings.HasPrefix(reason, "not a valid phone number") {
					reason = "not a valid phone number: " + reason
				}
			}
			bad(c, raw, reason)
			continue
		}
		if !contains(d.Phones, num) {
			d.Phones = append(d.Phones, num)
		}
	}

	var reason string
	if d.Amount, reason = parseAmount(field(colAmount)); reason != "" {
		bad(colAmount, field(colAmount), reason)
	}
	if d.Currency, reason = parseCurrency(field(colCurrency)); reason != "" {
		bad(colCurrency, field(colCurrency), reason)
	}
	if d.DueDate, reason = parseDate(field(colDueDate)); reason != "" {
		bad(colDueDate, field(colDueDate), reason)
	}
	d.Timezone = field(colTimezone)
	if reason = im.clocks.check(d.Timezone); reason != "" {
		bad(colTimezone, d.Timezone, reason)
	}
	if d.Priority, reason = parsePriority(field(colPriority)); reason != "" {
		bad(colPriority, field(colPriority), reason)
	}
	d.Notes = field(colNotes)
	if !utf8.ValidString(d.Notes) {
		bad(colNotes, "", reasonUTF8)
	}

	for _, pc := range im.layout.profile {
		v := strings.TrimSpace(rec[pc.index])
		if v == "" {
			continue
		}
		if !utf8.ValidString(v) {
			errs = append(errs, RowError{Line: line, Column: pc.name, Reason: reasonUTF8})
			continue
		}
		if d.Profile == nil {
			d.Profile = make(map[string]string, len(im.layout.profile))
		}
		d.Profile[pc.name] = v
	}

	if len(errs) > 0 {
		return campaign.Debt{}, errs
	}
	return d, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// shownValue is a refused value as RowError shows it: phone numbers and
// names masked, free text left out, everything cut to maxValueRunes and
// made valid UTF-8. A value that is a valid phone number (see
// looksLikePhone; region is the campaign's default region) is masked in
// any column: a number pasted into the wrong column is still a debtor's
// number.
func shownValue(c column, v, region string) string {
	if v == "" {
		return ""
	}
	v = strings.ToValidUTF8(v, "\uFFFD")
	switch c {
	case colPhone, colPhone2, colPhone3:
		return phone.Mask(cut(v))
	case colName:
		return phone.MaskName(v)
	case colNotes:
		return ""
	}
	if looksLikePhone(v, region) {
		return phone.Mask(cut(v))
	}
	return cut(v)
}

func cut(v string) string {
	if utf8.RuneCountInString(v) <= maxValueRunes {
		return v
	}
	return string([]rune(v)[:maxValueRunes]) + "…"
}

// looksLikePhone reports whether v is a valid phone number of Vietnam, of
// region (the campaign's default region; may be "") or, written with its
// country code, of anywhere. Normalize reads a number written with its
// country code the same whatever the default region, so the call for VN
// covers those.
func looksLikePhone(v, region string) bool {
	if _, err := phone.Normalize(v, "VN"); err == nil {
		return true
	}
	if region == "" || strings.EqualFold(strings.TrimSpace(region), "VN") {
		return false
	}
	_, err := phone.Normalize(v, region)
	return err == nil
}
