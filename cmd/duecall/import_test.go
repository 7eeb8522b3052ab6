package main

import (
	"context"
	"strings"
	"testing"

	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

// TestImportTimezoneWarnings: rows whose timezone contradicts their numbers
// are imported, listed as warnings after the errors, and the exit status
// stays 0 when nothing failed; names and full numbers are not printed.
func TestImportTimezoneWarnings(t *testing.T) {
	cleanEnv(t)
	rs := redistest.New(t)
	cfg := campaignConfig(t, rs, rs.URL(), "")
	store := redisstore.New(rs.Client(), redisstore.Options{Prefix: rs.Prefix()})
	ctx := context.Background()

	const header = "debt_id,debtor_name,phone,amount,currency,due_date,timezone\n"
	rows := "T1,Nguyễn Văn Tâm,+84912345671,1000,VND,2026-01-01,Asia/Ho_Chi_Minh\n" +
		"T2,Trần Thị Riêng,+84912345672,1000,VND,2026-01-01,America/New_York\n" +
		"T3,Lê Văn Sáu,+84912345673,1000,VND,2026-01-01,Asia/Saigon\n"

	t.Run("only warnings: exit 0", func(t *testing.T) {
		out, _, err := execute(ctx, "import", "--config", cfg, "--campaign", "c1", writeFile(t, "w.csv", header+rows))
		if err != nil {
			t.Fatalf("import with warnings only: %v (exit %d); want exit status 0\n%s", err, exitCode(err), out)
		}
		s := out.String()
		for _, want := range []string{
			"imported:   3 (created 3, updated 0; 1 with warnings)",
			"failed:     0 rows\nwarnings:   1 rows imported as written; check them\n",
			`  line 3, column timezone: "America/New_York" is not a zone of any of the debtor's numbers (+849******72: Asia/Ho_Chi_Minh); calling hours will follow America/New_York`,
		} {
			if !strings.Contains(s, want) {
				t.Errorf("import output has no %q:\n%s", want, s)
			}
		}
		for _, secret := range []string{"Trần", "Riêng", "+84912345672", "912345672"} {
			if strings.Contains(s, secret) {
				t.Errorf("import output shows %q:\n%s", secret, s)
			}
		}
		d, err := store.Debt(ctx, "c1", "T2")
		if err != nil || d.Timezone != "America/New_York" {
			t.Errorf("the warned row must be imported as written: %+v, %v", d, err)
		}
	})

	t.Run("warnings and errors: exit 2, warnings after errors", func(t *testing.T) {
		bad := "T4,Phạm Văn Lỗi,12345,1000,VND,2026-01-01,Asia/Ho_Chi_Minh\n"
		out, _, err := execute(ctx, "import", "--config", cfg, "--campaign", "c1", writeFile(t, "w.csv", header+rows+bad))
		if exitCode(err) != 2 {
			t.Fatalf("import with a failed row: %v (exit %d); want 2\n%s", err, exitCode(err), out)
		}
		s := out.String()
		e, w := strings.Index(s, "line 5, column phone:"), strings.Index(s, "line 3, column timezone:")
		if e < 0 || w < 0 || w < e {
			t.Errorf("want the error of line 5, then the warning of line 3:\n%s", s)
		}
	})
}
