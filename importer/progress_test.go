package importer

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := NewProgressBar(&b, 10<<20)
	p.Update(Stats{BytesRead: 5 << 20, Rows: 120000, OK: 119950, Failed: 50})
	want := "\r[##########..........]  50%  5.0 MiB / 10.0 MiB  rows 120,000  ok 119,950  failed 50"
	if b.String() != want {
		t.Fatalf("got  %q\nwant %q", b.String(), want)
	}

	b.Reset()
	p.Update(Stats{BytesRead: 10 << 20, Rows: 9, OK: 9})
	line := "[####################] 100%  10.0 MiB / 10.0 MiB  rows 9  ok 9  failed 0"
	// The previous line was longer: the rest of it is blanked.
	if want := "\r" + line + strings.Repeat(" ", len(want)-1-len(line)); b.String() != want {
		t.Fatalf("got  %q\nwant %q", b.String(), want)
	}

	b.Reset()
	p.Finish()
	p.Finish()
	if b.String() != "\n" {
		t.Fatalf("Finish wrote %q, want one newline", b.String())
	}

	// More bytes than the announced total (the file grew): capped at 100%.
	b.Reset()
	p.Update(Stats{BytesRead: 20 << 20})
	if !strings.HasPrefix(b.String(), "\r[####################] 100%  20.0 MiB / 10.0 MiB") {
		t.Fatalf("overflow: %q", b.String())
	}
}

func TestProgressBarUnknownTotal(t *testing.T) {
	var b bytes.Buffer
	p := NewProgressBar(&b, 0)
	p.Update(Stats{BytesRead: 1536, Rows: 1234, OK: 1000, Failed: 234})
	if want := "\r1.5 KiB read  rows 1,234  ok 1,000  failed 234"; b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	NewProgressBar(&b, 100).Finish()
	if b.Len() != 0 {
		t.Fatalf("Finish without Update wrote %q", b.String())
	}
}

func TestProgressBarWithImport(t *testing.T) {
	data := readFile(t, "testdata/sample.csv")
	var b bytes.Buffer
	bar := NewProgressBar(&b, int64(len(data)))
	opts := testOptions()
	opts.BatchSize = 5
	opts.Progress = bar.Update
	if _, err := Import(context.Background(), strings.NewReader(data), newFakeStore(), opts); err != nil {
		t.Fatal(err)
	}
	bar.Finish()
	out := b.String()
	if n := strings.Count(out, "\r"); n < 4 {
		t.Errorf("%d redraws, want one per batch: %q", n, out)
	}
	last := out[strings.LastIndex(out, "\r")+1:]
	if !strings.HasPrefix(last, "[####################] 100%") || !strings.Contains(last, "rows 20  ok 20  failed 0") || !strings.HasSuffix(last, "\n") {
		t.Errorf("last redraw %q", last)
	}
}

func TestFormatters(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1 << 20: "1.0 MiB", 3 << 30: "3.0 GiB", 1 << 40: "1.0 TiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}
