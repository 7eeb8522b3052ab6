package sim

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duecall/duecall/dialer/pacing"
)

func TestRunBenchmarkShort(t *testing.T) {
	calls := 0
	rows, err := RunBenchmark(BenchOptions{Short: true, Scenarios: []string{"S1", "S3"}, Duration: 20 * time.Minute,
		Parallel: 2, Progress: func(done, total int) {
			calls++
			if total != 16 || done != calls {
				t.Errorf("progress %d/%d", done, total)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 || calls != 16 {
		t.Fatalf("%d rows, %d progress calls", len(rows), calls)
	}
	for i, r := range rows {
		wantSc := []string{"S1", "S3"}[i/4]
		if r.Scenario != wantSc || r.Pacer != string(DefaultPacers[i%4]) || r.Seeds != 2 || r.Hours != 1.0/3 {
			t.Fatalf("row %d: %+v", i, r)
		}
		if !(r.OccupancyMin <= r.Occupancy && r.Occupancy <= r.OccupancyMax) || r.Occupancy <= 0 || r.Occupancy > 1 {
			t.Fatalf("row %d occupancy %v (%v–%v)", i, r.Occupancy, r.OccupancyMin, r.OccupancyMax)
		}
		if r.ReferenceOccupancy == nil || r.DialsPerAgentHour <= 0 || r.LiveRate <= 0 {
			t.Fatalf("row %d: %+v", i, r)
		}
	}
	// Parallelism does not change the result.
	again, err := RunBenchmark(BenchOptions{Short: true, Scenarios: []string{"S1", "S3"}, Duration: 20 * time.Minute, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(rows)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Fatal("rows depend on parallelism")
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Pacing benchmark", "## S1 — 20 agents", "## S3", "**89.3 %**", "progressive 75.0 %",
		"| predictive |", "| adaptive |", "20-minute", "Predictive against the targets", "median over 2 seeds"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestBenchmarkOptions(t *testing.T) {
	if _, err := RunBenchmark(BenchOptions{Scenarios: []string{"S9"}}); err == nil {
		t.Fatal("unknown scenario accepted")
	}
	if _, err := RunBenchmark(BenchOptions{Seeds: -1}); err == nil {
		t.Fatal("negative seeds accepted")
	}
	if _, err := RunBenchmark(BenchOptions{Scenarios: []string{"S3"}, Pacers: []pacing.Mode{"turbo"}}); err == nil {
		t.Fatal("unknown pacer accepted")
	}
	if err := WriteMarkdown(&bytes.Buffer{}, nil); err == nil {
		t.Fatal("empty rows accepted")
	}
}

// TestRowJSONKeys pins the JSON keys other tools read.
func TestRowJSONKeys(t *testing.T) {
	ref := 0.9
	b, err := json.Marshal(Row{ReferenceOccupancy: &ref})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pacer", "scenario", "agents", "seeds", "occupancy", "abandon_rate",
		"abandon_rate_worst_window", "talk_min_per_agent_hour", "latency_p95_ms", "dials_per_agent_hour",
		"occupancy_min", "occupancy_max", "abandon_rate_min", "abandon_rate_max", "abandon_rate_worst_window_min",
		"abandon_rate_worst_window_max", "talk_min_per_agent_hour_min", "talk_min_per_agent_hour_max",
		"latency_p95_ms_min", "latency_p95_ms_max", "dials_per_agent_hour_min", "dials_per_agent_hour_max",
		"live_rate", "hours", "reference_occupancy"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no key %q", k)
		}
		delete(m, k)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 0 {
		t.Errorf("unexpected keys %v", keys)
	}
	if b, _ := json.Marshal(Row{}); strings.Contains(string(b), "reference") {
		t.Errorf("empty references are not omitted: %s", b)
	}
}
