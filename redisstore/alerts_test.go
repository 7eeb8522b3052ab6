package redisstore_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duecall/duecall/alerts"
	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

func newAlerts(t *testing.T, r *redistest.Server, maxLen int64) *redisstore.Alerts {
	t.Helper()
	if r == nil {
		r = redistest.New(t)
	}
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	a, err := redisstore.NewAlerts(s, redisstore.AlertOptions{MaxLen: maxLen})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var alertT0 = time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)

func fraudAlert(camp, attempt string, at time.Time) alerts.Alert {
	return alerts.Alert{Kind: alerts.KindFraudSuspected, CampaignID: camp, DebtID: "debt-" + attempt, AttemptID: attempt,
		AgentID: "101", At: at, Note: alerts.Note(alerts.KindFraudSuspected, "101")}
}

func ids(list []alerts.Alert) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.AttemptID
	}
	return out
}

// TestAlertsRaiseListAck: alerts are listed newest first, raising is
// idempotent per attempt, acknowledging is idempotent and unknown ids are
// not found.
func TestAlertsRaiseListAck(t *testing.T) {
	for _, backend := range []string{"redis", "miniredis"} {
		t.Run(backend, func(t *testing.T) {
			var r *redistest.Server
			if backend == "miniredis" {
				r = redistest.NewMiniredis(t) // what the demo embeds
			}
			x := newAlerts(t, r, 0)
			ctx := ctxT(t)
			var raised []alerts.Alert
			for i, att := range []string{"att-1", "att-2", "att-3"} {
				a, created, err := x.Raise(ctx, fraudAlert("c1", att, alertT0.Add(time.Duration(i)*time.Minute)))
				if err != nil || !created || a.ID == "" {
					t.Fatalf("raise %s: %+v, %v, %v", att, a, created, err)
				}
				raised = append(raised, a)
			}
			// The same attempt again: no second alert, the first one's id.
			again, created, err := x.Raise(ctx, fraudAlert("c1", "att-2", alertT0.Add(time.Hour)))
			if err != nil || created || again.ID != raised[1].ID {
				t.Fatalf("raise att-2 again: %+v, created %v, %v; want the first alert %s, not created", again, created, err, raised[1].ID)
			}
			// The same attempt id in another campaign is another attempt.
			if _, created, err := x.Raise(ctx, fraudAlert("c2", "att-2", alertT0.Add(time.Hour))); err != nil || !created {
				t.Fatalf("raise c2/att-2: %v, %v; want a new alert", created, err)
			}
			list, err := x.List(ctx, alerts.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(ids(list), ","); got != "att-2,att-3,att-2,att-1" || list[0].CampaignID != "c2" {
				t.Fatalf("list = %s; want the four alerts newest first", got)
			}
			if l := list[3]; l.ID != raised[0].ID || l.Kind != alerts.KindFraudSuspected || l.DebtID != "debt-att-1" ||
				l.AgentID != "101" || !l.At.Equal(alertT0) || l.Note == "" || l.Acked() {
				t.Errorf("oldest alert = %+v", l)
			}
			if n, err := x.Unacked(ctx); err != nil || n != 4 {
				t.Errorf("Unacked = %d, %v; want 4", n, err)
			}

			ackAt := alertT0.Add(2 * time.Hour)
			a, err := x.Ack(ctx, raised[0].ID, " Supervisor Lan ", ackAt)
			if err != nil || a.AckedBy != "Supervisor Lan" || !a.AckedAt.Equal(ackAt) || a.AttemptID != "att-1" {
				t.Fatalf("ack: %+v, %v", a, err)
			}
			// Again, by someone else: the first acknowledgement stays.
			a, err = x.Ack(ctx, raised[0].ID, "Other", ackAt.Add(time.Hour))
			if err != nil || a.AckedBy != "Supervisor Lan" || !a.AckedAt.Equal(ackAt) {
				t.Fatalf("second ack: %+v, %v; want the first acknowledgement kept", a, err)
			}
			if n, err := x.Unacked(ctx); err != nil || n != 3 {
				t.Errorf("Unacked after one ack = %d, %v; want 3", n, err)
			}
			un, err := x.List(ctx, alerts.ListOptions{Unacked: true})
			if err != nil || strings.Join(ids(un), ",") != "att-2,att-3,att-2" {
				t.Errorf("unacked list = %v, %v", ids(un), err)
			}
			all, _ := x.List(ctx, alerts.ListOptions{Count: 2})
			if len(all) != 2 || all[0].AttemptID != "att-2" || all[1].AttemptID != "att-3" {
				t.Errorf("list of 2 = %v", ids(all))
			}
			all, _ = x.List(ctx, alerts.ListOptions{})
			if !all[3].Acked() || all[3].AckedBy != "Supervisor Lan" || all[2].Acked() {
				t.Errorf("list does not show the acknowledgement: %+v", all)
			}

			for _, tt := range []struct {
				id, by string
				want   error
			}{
				{"1767225600000-0", "Lan", campaign.ErrNotFound},
				{"not-an-id", "Lan", campaign.ErrNotFound},
				{"", "Lan", campaign.ErrNotFound},
				{raised[1].ID, "", campaign.ErrInvalid},
				{raised[1].ID, "  ", campaign.ErrInvalid},
				{raised[1].ID, "a\nb", campaign.ErrInvalid},
			} {
				if _, err := x.Ack(ctx, tt.id, tt.by, ackAt); !errors.Is(err, tt.want) {
					t.Errorf("Ack(%q, %q) = %v; want %v", tt.id, tt.by, err, tt.want)
				}
			}
			for _, n := range []int{-1, alerts.MaxListCount + 1} {
				if _, err := x.List(ctx, alerts.ListOptions{Count: n}); !errors.Is(err, campaign.ErrInvalid) {
					t.Errorf("List(count %d) = %v; want ErrInvalid", n, err)
				}
			}
			bad := fraudAlert("c1", "", alertT0)
			if _, _, err := x.Raise(ctx, bad); !errors.Is(err, campaign.ErrInvalid) {
				t.Errorf("Raise without an attempt = %v; want ErrInvalid", err)
			}
		})
	}
}

// TestAlertsRaiseConcurrently: dialers recording the same disposition at
// once raise one alert.
func TestAlertsRaiseConcurrently(t *testing.T) {
	x := newAlerts(t, nil, 0)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	seen := map[string]bool{}
	for range 16 {
		wg.Go(func() {
			a, ok, err := x.Raise(ctx, fraudAlert("c1", "att-x", alertT0))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			seen[a.ID] = true
			if ok {
				created++
			}
		})
	}
	wg.Wait()
	if created != 1 || len(seen) != 1 {
		t.Fatalf("%d alerts created, ids %v; want exactly one", created, seen)
	}
	if n, _ := x.Unacked(ctx); n != 1 {
		t.Errorf("Unacked = %d; want 1", n)
	}
}

// TestAlertsRetention: the stream is bounded, and the acknowledgement
// state of trimmed alerts goes with them, so that the unacknowledged count
// is exact.
func TestAlertsRetention(t *testing.T) {
	r := redistest.New(t)
	const maxLen = 10
	x := newAlerts(t, r, maxLen)
	ctx := ctxT(t)
	var raised []alerts.Alert
	for i := range 400 {
		a, _, err := x.Raise(ctx, fraudAlert("c1", fmt.Sprintf("att-%03d", i), alertT0.Add(time.Duration(i)*time.Second)))
		if err != nil {
			t.Fatal(err)
		}
		raised = append(raised, a)
		if i%3 == 0 { // acknowledge every third while it is kept
			if _, err := x.Ack(ctx, a.ID, "sup", alertT0); err != nil {
				t.Fatal(err)
			}
		}
	}
	base := r.Prefix() + ":{" + r.Prefix() + "/alerts}:"
	c := r.Client()
	n, err := c.XLen(ctx, base+"stream").Result()
	if err != nil {
		t.Fatal(err)
	}
	// MAXLEN ~ trims whole stream nodes (100 entries by default).
	if n < maxLen || n > maxLen+100 {
		t.Fatalf("stream holds %d alerts; want about %d", n, maxLen)
	}
	all, err := x.List(ctx, alerts.ListOptions{Count: alerts.MaxListCount})
	if err != nil || int64(len(all)) != n {
		t.Fatalf("list = %d alerts, %v; want the %d kept", len(all), err, n)
	}
	kept := map[string]bool{}
	unacked := int64(0)
	for _, a := range all {
		kept[a.ID] = true
		if !a.Acked() {
			unacked++
		}
	}
	if got, _ := x.Unacked(ctx); got != unacked {
		t.Errorf("Unacked = %d; %d of the alerts kept are unacknowledged", got, unacked)
	}
	acks, err := c.HKeys(ctx, base+"acks").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range acks {
		if !kept[id] {
			t.Errorf("acknowledgement of trimmed alert %s kept", id)
		}
	}
	// An alert trimmed from the stream cannot be acknowledged.
	if _, err := x.Ack(ctx, raised[1].ID, "sup", alertT0); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("Ack of a trimmed alert = %v; want ErrNotFound", err)
	}
	// Every key is in the alerts slot and holds no personal data.
	keys, err := c.Keys(ctx, r.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := slot(base)
	for _, k := range keys {
		if !strings.HasPrefix(k, base) || slot(k) != want {
			t.Errorf("key %q is not in the alerts slot", k)
		}
	}
}

// TestAlertsOnCluster raises and acknowledges alerts on a Redis Cluster:
// every script runs in the alerts slot.
func TestAlertsOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster formation takes a few seconds")
	}
	c := redistest.NewCluster(t, 3)
	s := redisstore.New(c.Client(), redisstore.Options{Prefix: redistest.UniquePrefix()})
	x, err := redisstore.NewAlerts(s, redisstore.AlertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	a, created, err := x.Raise(ctx, fraudAlert("c1", "att-1", alertT0))
	if err != nil || !created {
		t.Fatalf("raise on a cluster: %v, %v", created, err)
	}
	if _, err := x.Ack(ctx, a.ID, "sup", alertT0); err != nil {
		t.Fatalf("ack on a cluster: %v", err)
	}
	if list, err := x.List(ctx, alerts.ListOptions{}); err != nil || len(list) != 1 || !list[0].Acked() {
		t.Fatalf("list on a cluster: %+v, %v", list, err)
	}
}

func TestNewAlertsOptions(t *testing.T) {
	r := redistest.New(t)
	s := redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	if _, err := redisstore.NewAlerts(s, redisstore.AlertOptions{MaxLen: -1}); !errors.Is(err, campaign.ErrInvalid) {
		t.Errorf("NewAlerts(MaxLen -1) = %v; want ErrInvalid", err)
	}
}
