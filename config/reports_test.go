package config

import (
	"strings"
	"testing"
	"time"
)

func TestReportsConfig(t *testing.T) {
	def := Default().Reports
	if def.Dir != "" || def.Overdue.Every != 24*time.Hour {
		t.Errorf("default reports %+v; want no directory (no files with personal data unless asked) and a daily report", def)
	}
	tests := []struct {
		name    string
		yaml    string
		env     []string
		want    Reports
		wantErr string // substring of the error, which names the key
		warn    string // key of the expected warning
	}{
		{name: "directory and interval", yaml: "reports:\n  dir: /var/lib/duecall/reports\n  overdue:\n    every: 12h\n",
			want: Reports{Dir: "/var/lib/duecall/reports", Overdue: OverdueReports{Every: 12 * time.Hour}}},
		{name: "directory only: daily", yaml: "reports:\n  dir: reports\n",
			want: Reports{Dir: "reports", Overdue: OverdueReports{Every: 24 * time.Hour}}},
		{name: "off", yaml: "reports:\n  dir: reports\n  overdue: {every: 0s}\n", want: Reports{Dir: "reports"}},
		{name: "from the environment", env: []string{"DUECALL_REPORTS_DIR=/srv/r", "DUECALL_REPORTS_OVERDUE_EVERY=6h"},
			want: Reports{Dir: "/srv/r", Overdue: OverdueReports{Every: 6 * time.Hour}}},
		{name: "not a duration", yaml: "reports:\n  overdue:\n    every: daily\n",
			wantErr: `test.yaml:11:12: reports.overdue.every: "daily" is not a duration`},
		{name: "no unit", yaml: "reports:\n  overdue:\n    every: 24\n", wantErr: "reports.overdue.every: \"24\" is not a duration; a duration needs a unit"},
		{name: "bad duration from the environment", env: []string{"DUECALL_REPORTS_OVERDUE_EVERY=1 day"},
			wantErr: "env DUECALL_REPORTS_OVERDUE_EVERY: reports.overdue.every"},
		{name: "negative", yaml: "reports:\n  dir: r\n  overdue: {every: -1h}\n", wantErr: "reports.overdue.every: -1h0m0s is negative"},
		{name: "too often", yaml: "reports:\n  dir: r\n  overdue: {every: 10s}\n", wantErr: "reports.overdue.every: 10s is too short; expected at least 1m0s"},
		{name: "interval without directory", yaml: "reports:\n  overdue: {every: 1h}\n",
			want: Reports{Overdue: OverdueReports{Every: time.Hour}}, warn: "reports.overdue.every"},
		{name: "control characters", yaml: "reports:\n  dir: \"a\\nb\"\n", wantErr: "reports.dir: \"a\\nb\" contains control characters"},
		{name: "unknown key", yaml: "reports:\n  overdue:\n    evry: 1h\n", wantErr: "reports.overdue.evry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, warns, err := load(t, minimal+tt.yaml, tt.env...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Reports != tt.want {
				t.Errorf("reports %+v, want %+v", cfg.Reports, tt.want)
			}
			var keys []string
			for _, w := range warns {
				if strings.HasPrefix(w.Key, "reports") {
					keys = append(keys, w.Key)
				}
			}
			if (tt.warn == "") != (len(keys) == 0) || tt.warn != "" && keys[0] != tt.warn {
				t.Errorf("report warnings %v, want %q", keys, tt.warn)
			}
		})
	}
}
