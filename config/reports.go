package config

import (
	"strings"
	"time"
	"unicode"
)

// Reports configures the reports `duecall serve` writes by itself.
type Reports struct {
	// Dir is the directory the reports are written to (created, mode
	// 0700, if missing); "" writes none. Reports hold debtors' names and
	// numbers: files are mode 0600.
	Dir     string         `yaml:"dir"`
	Overdue OverdueReports `yaml:"overdue"`
}

// OverdueReports configures the periodic overdue-cases report.
type OverdueReports struct {
	// Every is the time between two reports of a campaign; 0 turns them
	// off. The first is written at start, unless the directory holds one
	// younger than Every (then one Every after it).
	Every time.Duration `yaml:"every"`
}

// Report defaults and limits.
const (
	// DefaultOverdueEvery: a report a day, once reports.dir is set.
	DefaultOverdueEvery = 24 * time.Hour
	// MinOverdueEvery bounds how often a report of every debt of a
	// campaign is read and written.
	MinOverdueEvery = time.Minute
)

func (c *Config) checkReports(k *checker) {
	r := c.Reports
	switch every := r.Overdue.Every; {
	case every < 0:
		k.fail("reports.overdue.every", "%s is negative; expected a duration such as 24h, or 0 to turn periodic reports off", every)
	case every > 0 && every < MinOverdueEvery:
		k.fail("reports.overdue.every", "%s is too short; expected at least %s (each report reads every debt of the campaign), or 0 to turn periodic reports off", every, MinOverdueEvery)
	case every != DefaultOverdueEvery && every != 0 && r.Dir == "":
		k.warn("reports.overdue.every", "is set but reports.dir is empty, so no report is written; set reports.dir to a directory")
	}
	if strings.ContainsFunc(r.Dir, unicode.IsControl) {
		k.fail("reports.dir", "%s contains control characters; expected a directory path", quote(r.Dir))
	}
}
