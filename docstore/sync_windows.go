package docstore

import "os"

// syncDir is a no-op on Windows: NTFS journals the rename itself, and
// directories cannot be opened for FlushFileBuffers.
func syncDir(string) error { return nil }

// dataSync flushes the file (FlushFileBuffers).
func dataSync(f *os.File) error { return f.Sync() }
