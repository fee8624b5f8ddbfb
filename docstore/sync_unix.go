//go:build !windows

package docstore

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncDir makes a rename durable: on POSIX systems the directory entry is
// only on disk after the directory itself is fsynced.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("docstore: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("docstore: fsync dir: %w", err)
	}
	return nil
}

// dataSync is fdatasync: the data and what is needed to read it back,
// not the timestamps.
func dataSync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
