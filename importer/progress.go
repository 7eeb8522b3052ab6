package importer

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ProgressBar draws an import's progress on one terminal line, redrawn
// with "\r" on every Update:
//
//	[##########..........]  50%  12.3 MiB / 24.6 MiB  rows 120,000  ok 119,950  failed 50
//
// Pass its Update method as Options.Progress and call Finish when Import
// returns. The caller decides whether the output is a terminal. A
// ProgressBar is not safe for concurrent use (Import calls Progress from
// its own goroutine only). Write errors are ignored: a broken terminal
// must not stop an import.
type ProgressBar struct {
	w       io.Writer
	total   int64
	width   int
	lastLen int
	drawn   bool
	buf     []byte
}

// NewProgressBar returns a bar writing to w for a file of totalBytes
// (0 or less when unknown, e.g. reading a pipe: then no bar or percentage
// is drawn, only counts).
func NewProgressBar(w io.Writer, totalBytes int64) *ProgressBar {
	return &ProgressBar{w: w, total: totalBytes, width: 20}
}

// Update redraws the line for s.
func (p *ProgressBar) Update(s Stats) {
	b := p.buf[:0]
	b = append(b, '\r')
	start := len(b)
	if p.total > 0 {
		frac := float64(s.BytesRead) / float64(p.total)
		frac = min(max(frac, 0), 1)
		filled := int(frac * float64(p.width))
		b = append(b, '[')
		for i := 0; i < p.width; i++ {
			if i < filled {
				b = append(b, '#')
			} else {
				b = append(b, '.')
			}
		}
		b = append(b, ']')
		b = fmt.Appendf(b, " %3d%%  %s / %s", int(frac*100), formatBytes(s.BytesRead), formatBytes(p.total))
	} else {
		b = fmt.Appendf(b, "%s read", formatBytes(s.BytesRead))
	}
	b = fmt.Appendf(b, "  rows %s  ok %s  failed %s", formatCount(s.Rows), formatCount(s.OK), formatCount(s.Failed))
	n := len(b) - start
	// Blank what is left of a longer previous line.
	for i := n; i < p.lastLen; i++ {
		b = append(b, ' ')
	}
	p.lastLen = n
	p.buf = b
	p.drawn = true
	_, _ = p.w.Write(b)
}

// Finish ends the bar's line, so that what is written next starts on a
// new one. It writes nothing if Update was never called.
func (p *ProgressBar) Finish() {
	if p.drawn {
		_, _ = io.WriteString(p.w, "\n")
		p.drawn = false
		p.lastLen = 0
	}
}

// formatBytes writes a byte count with binary units: "512 B", "12.3 MiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// formatCount writes n with thousands separators: 1234567 -> "1,234,567".
func formatCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Write prints the summary for a person, e.g. at the end of an import
// from the command line: the counts, then the first row errors kept, then
// the first row warnings kept.
func (s Summary) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "rows read:  %s\n", formatCount(s.Rows))
	fmt.Fprintf(&b, "imported:   %s (created %s, updated %s", formatCount(s.Imported), formatCount(s.Created), formatCount(s.Updated))
	if s.Warned > 0 {
		fmt.Fprintf(&b, "; %s with warnings", formatCount(s.Warned))
	}
	b.WriteString(")\n")
	if s.Duplicates > 0 {
		fmt.Fprintf(&b, "duplicates: %s rows repeated a debt_id of an earlier row; the later row won\n", formatCount(s.Duplicates))
	}
	if s.Skipped > 0 {
		fmt.Fprintf(&b, "blank:      %s rows skipped\n", formatCount(s.Skipped))
	}
	fmt.Fprintf(&b, "failed:     %s rows", formatCount(s.Failed))
	if s.ErrorCount > 0 {
		fmt.Fprintf(&b, " (%s errors)", formatCount(s.ErrorCount))
	}
	b.WriteByte('\n')
	for _, e := range s.Errors {
		b.WriteString("  ")
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	if more := s.ErrorCount - len(s.Errors); more > 0 {
		fmt.Fprintf(&b, "  ... and %s more errors not shown\n", formatCount(more))
	}
	if s.Warned > 0 || s.WarningCount > 0 {
		fmt.Fprintf(&b, "warnings:   %s rows imported as written; check them", formatCount(s.Warned))
		if s.WarningCount != s.Warned {
			fmt.Fprintf(&b, " (%s warnings)", formatCount(s.WarningCount))
		}
		b.WriteByte('\n')
	}
	for _, w := range s.Warnings {
		b.WriteString("  ")
		b.WriteString(w.String())
		b.WriteByte('\n')
	}
	if more := s.WarningCount - len(s.Warnings); more > 0 {
		fmt.Fprintf(&b, "  ... and %s more warnings not shown\n", formatCount(more))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
