package importer

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// genReader generates a debts CSV of rows rows on the fly, so a big file
// costs no memory in the test itself. Every 100th row is invalid and every
// 50th repeats an earlier debt_id.
type genReader struct {
	rows, next int
	started    bool
	buf        []byte
	size       int64
}

const genHeader = "debt_id,debtor_name,phone,phone2,amount,currency,due_date,timezone,priority,notes,branch,contract_no\n"

func (g *genReader) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case !g.started:
			g.started = true
			g.buf = append(g.buf[:0], genHeader...)
		case g.next >= g.rows:
			return 0, io.EOF
		default:
			i := g.next
			g.next++
			id := i
			if i%50 == 49 {
				id = i - 25 // a duplicate
			}
			amount := fmt.Sprint(100000 + i)
			if i%100 == 99 {
				amount = "1,000" // invalid
			}
			phone2 := ""
			if i%10 == 0 {
				phone2 = fmt.Sprintf("+84 24 3%03d %04d", i%1000, i%10000)
			}
			g.buf = fmt.Appendf(g.buf[:0],
				"HD-%09d,Nguyễn Văn Khách %d,091%07d,%s,%s,VND,2025-03-31,Asia/Ho_Chi_Minh,%d,\"Ghi chú, số %d\",Chi nhánh %d,HĐ/%d\n",
				id, i, i%10000000, phone2, amount, i%16, i, i%60, i)
		}
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	g.size += int64(n)
	return n, nil
}

// wantGen is what importing genReader{rows: n} must give.
func wantGen(n int) (ok, failed, dups int) {
	for i := 0; i < n; i++ {
		if i%100 == 99 {
			failed++
			continue
		}
		ok++
		if i%50 == 49 {
			dups++
		}
	}
	return ok, failed, dups
}

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestBoundedMemory imports a large generated file and checks that the live
// heap does not grow with the rows read: past the first quarter of the
// file it may grow only by the duplicate-detection set (8-byte hashes in a
// map, 20 to 30 bytes per row). Keeping the debts would cost several
// hundred bytes per row.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large import")
	}
	rows := 100_000
	if raceEnabled {
		rows = 15_000 // the race detector makes phone parsing ~20 times slower
	}
	const (
		maxBytesPerRow = 64
		maxGrowth      = 48 << 20
	)
	store := &countingStore{}
	gen := &genReader{rows: rows}
	base := heapInuse()
	type sample struct {
		rows int
		heap uint64
	}
	var samples []sample
	calls := 0
	opts := testOptions()
	every := max(1, rows/opts.batchSize()/40) // about 40 samples
	opts.Progress = func(s Stats) {
		calls++
		if calls%every == 0 {
			samples = append(samples, sample{s.Rows, heapInuse()})
		}
	}
	sum, err := Import(context.Background(), gen, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	ok, failed, dups := wantGen(rows)
	if sum.Rows != rows || sum.Imported != ok || sum.Failed != failed || sum.Duplicates != dups || len(sum.Errors) != maxKeptErrors {
		t.Fatalf("summary %+v; want rows %d ok %d failed %d dups %d", sum, rows, ok, failed, dups)
	}
	// Duplicates within a batch are merged before they reach the store.
	if store.debts > ok || store.debts < ok-dups {
		t.Fatalf("store got %d debts, want %d minus some of the %d duplicates", store.debts, ok, dups)
	}
	if len(samples) < 20 {
		t.Fatalf("only %d samples", len(samples))
	}
	quarter := samples[len(samples)/4]
	var peak sample
	for _, s := range samples {
		if s.heap > peak.heap {
			peak = s
		}
	}
	end := samples[len(samples)-1]
	growth := int64(end.heap) - int64(quarter.heap)
	perRow := float64(growth) / float64(end.rows-quarter.rows)
	t.Logf("%d rows, %d MiB read: heap base %d KiB, at row %d %d KiB, at row %d %d KiB (peak %d KiB): %.1f bytes/row",
		rows, gen.size>>20, base>>10, quarter.rows, quarter.heap>>10, end.rows, end.heap>>10, peak.heap>>10, perRow)
	if perRow > maxBytesPerRow {
		t.Errorf("heap grew by %.1f bytes per row after the first quarter, want at most %d", perRow, maxBytesPerRow)
	}
	if peak.heap > base+maxGrowth {
		t.Errorf("heap peaked at %d MiB, %d MiB over the start; want at most %d MiB over", peak.heap>>20, (peak.heap-base)>>20, maxGrowth>>20)
	}
}

func BenchmarkImport(b *testing.B) {
	const rows = 10_000
	opts := testOptions()
	b.ReportAllocs()
	var size int64
	for b.Loop() {
		gen := &genReader{rows: rows}
		if _, err := Import(context.Background(), gen, &countingStore{}, opts); err != nil {
			b.Fatal(err)
		}
		size = gen.size
	}
	b.SetBytes(size)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

func (o Options) batchSize() int {
	if o.BatchSize == 0 {
		return DefaultBatchSize
	}
	return o.BatchSize
}
