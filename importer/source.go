package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxRecordBytes bounds one CSV record (a row, with its quoted line
// breaks). A debt row is a few hundred bytes; the bound keeps a file that
// is not CSV, or has an unclosed quote, from being read into memory whole.
const maxRecordBytes = 64 << 10

// bufSize is the read buffer, also the window in which the separator is
// detected from the header line.
const bufSize = 64 << 10

// errRecordTooLarge is returned (wrapped) when a record exceeds
// maxRecordBytes.
var errRecordTooLarge = fmt.Errorf("a row is larger than %d KiB: is this a CSV file, or is a quote left open?", maxRecordBytes>>10)

// guardReader counts the bytes it hands to the CSV reader and refuses to
// read further than maxRecordBytes past the end of the last complete
// record (mark). Its error is sticky.
type guardReader struct {
	r    io.Reader
	n    int64 // bytes read from r
	mark int64 // offset in r of the end of the last complete record
	err  error
}

func (g *guardReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	room := g.mark + maxRecordBytes + bufSize - g.n
	if room <= 0 {
		g.err = errRecordTooLarge
		return 0, g.err
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if err != nil {
		g.err = err
	}
	return n, err
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// openSource prepares r for the CSV reader: it skips a UTF-8 byte-order
// mark, refuses UTF-16, and detects the separator when comma is 0. It
// returns the buffered reader positioned after the mark and the mark's
// length.
func openSource(g *guardReader, comma rune) (*bufio.Reader, int64, rune, error) {
	br := bufio.NewReaderSize(g, bufSize)
	head, err := br.Peek(bufSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, 0, 0, fmt.Errorf("importer: read: %w", err)
	}
	var skip int64
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		skip = int64(len(bomUTF8))
	case bytes.HasPrefix(head, bomUTF16LE), bytes.HasPrefix(head, bomUTF16BE):
		return nil, 0, 0, fmt.Errorf(`%w: the file is UTF-16 text; save it as "CSV UTF-8"`, ErrHeader)
	}
	if skip > 0 {
		if _, err := br.Discard(int(skip)); err != nil {
			return nil, 0, 0, fmt.Errorf("importer: read: %w", err)
		}
		head = head[skip:]
	}
	if comma == 0 {
		comma = detectComma(head)
	}
	return br, skip, comma, nil
}

// detectComma picks the separator of the header line: the most frequent
// of ',', ';' and tab outside quotes, ',' on a tie or when none occurs.
func detectComma(head []byte) rune {
	var commas, semis, tabs int
	quoted := false
loop:
	for _, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			break loop
		case c == ',':
			commas++
		case c == ';':
			semis++
		case c == '\t':
			tabs++
		}
	}
	switch {
	case semis > commas && semis >= tabs:
		return ';'
	case tabs > commas && tabs > semis:
		return '\t'
	}
	return ','
}
