package importer_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/importer"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// TestImportIntoRedis imports the sample file into the real store twice:
// the second import updates the 20 debts instead of adding new ones.
func TestImportIntoRedis(t *testing.T) {
	srv := redistest.New(t)
	store := redisstore.New(srv.Client(), redisstore.Options{Prefix: srv.Prefix()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data, err := os.ReadFile("testdata/sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	opts := importer.Options{
		CampaignID:    "redis-import",
		Rules:         campaign.Rules{RemindBefore: 24 * time.Hour},
		DefaultRegion: "VN",
		BatchSize:     7,
	}

	first, err := importer.Import(ctx, strings.NewReader(string(data)), store, opts)
	if err != nil {
		t.Fatal(err)
	}
	if first.Imported != 20 || first.Created != 20 || first.Updated != 0 || first.Failed != 0 {
		t.Fatalf("first import: %+v", first)
	}

	changed := strings.Replace(string(data), ",1500000,VND,", ",1400000,VND,", 1)
	second, err := importer.Import(ctx, strings.NewReader(changed), store, opts)
	if err != nil {
		t.Fatal(err)
	}
	if second.Imported != 20 || second.Created != 0 || second.Updated != 20 {
		t.Fatalf("second import: %+v, want 20 updated", second)
	}

	ids, err := store.DebtIDs(ctx, opts.CampaignID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 20 {
		t.Fatalf("%d debts in Redis, want 20", len(ids))
	}
	d, err := store.Debt(ctx, opts.CampaignID, "HD-2025-0001")
	if err != nil {
		t.Fatal(err)
	}
	if d.Amount != "1400000" || d.DebtorName != "Nguyễn Văn An" || len(d.Phones) != 1 || d.Phones[0] != "+84912345678" ||
		!d.DueDate.Equal(time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)) || d.Profile["province"] != "Hà Nội" {
		t.Errorf("debt read back: %+v", d)
	}
	d, err = store.Debt(ctx, opts.CampaignID, "HD-2025-0004")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"+84902223344", "+84827654321"}; len(d.Phones) != 2 || d.Phones[0] != want[0] || d.Phones[1] != want[1] {
		t.Errorf("phones read back %v, want %v", d.Phones, want)
	}
}
