package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileMode is the mode of report files: they hold debtors' names and
// numbers, so only their owner may read them.
const FileMode os.FileMode = 0o600

// WriteFile writes a report file atomically: into a temporary file (mode
// FileMode) in the same directory, synced, then renamed to path, so that
// readers never see half a report and a failure leaves no file behind.
// An existing file at path is replaced.
func WriteFile(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(FileMode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Make the rename durable; not every file system can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// fileStamp is the UTC time in the names of periodic report files.
const fileStamp = "20060102T150405Z"

// FileName is the name of a campaign's periodic overdue report made at t:
// overdue-<campaign>-<UTC time, 20060102T150405Z>.csv.
func FileName(campaignID string, t time.Time) string {
	return "overdue-" + campaignID + "-" + t.UTC().Format(fileStamp) + ".csv"
}

// LastFileTime returns the time in the name of the newest periodic overdue
// report of the campaign in dir (see FileName), or the zero time when there
// is none (or no dir).
func LastFileTime(dir, campaignID string) (time.Time, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	prefix := "overdue-" + campaignID + "-"
	var last time.Time
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ".csv") {
			continue
		}
		// Another campaign whose id starts with this one's ("c1-b") has a
		// stamp that does not parse.
		t, err := time.Parse(fileStamp, strings.TrimSuffix(strings.TrimPrefix(name, prefix), ".csv"))
		if err == nil && t.After(last) {
			last = t
		}
	}
	return last, nil
}
