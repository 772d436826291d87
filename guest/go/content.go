// content.go — the current content: /data.bin and its name, UUID and
// depth (WADUP_FILENAME, WADUP_CONTENT_UUID, WADUP_DEPTH).

package wadup

import (
	"os"
	"strconv"
)

// ContentPath is where the current content is: a read-only file.
const ContentPath = "/data.bin"

// OpenContent opens the current content for reading (an *os.File is an
// io.ReaderAt and io.Seeker too).
func OpenContent() (*os.File, error) { return os.Open(ContentPath) }

// ReadContent returns the whole current content.
func ReadContent() ([]byte, error) { return os.ReadFile(ContentPath) }

// ContentSize returns the current content's size in bytes.
func ContentSize() (int64, error) {
	st, err := os.Stat(ContentPath)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Env returns the environment variable name as wadup set it for the
// current content. It asks the host each time (WASI environ_get), unlike
// os.Getenv, whose copy is taken once when the Go runtime starts and is
// stale in an instance reused for several contents (the reactor shape).
func Env(name string) (string, bool) { return lookupEnv(name) }

// Filename returns the content's file name (WADUP_FILENAME), "unknown"
// when it is not set.
func Filename() string {
	if v, ok := lookupEnv("WADUP_FILENAME"); ok {
		return v
	}
	return "unknown"
}

// ContentUUID returns the content's UUID (WADUP_CONTENT_UUID), "" when not
// set.
func ContentUUID() string {
	v, _ := lookupEnv("WADUP_CONTENT_UUID")
	return v
}

// Depth returns the content's nesting depth (WADUP_DEPTH): 0 for input
// files, 1 for their sub-content, ...; 0 when not set.
func Depth() int {
	v, _ := lookupEnv("WADUP_DEPTH")
	d, err := strconv.Atoi(v)
	if err != nil {
		return 0
	}
	return d
}
