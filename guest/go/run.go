// run.go — the entry points of a module: Main for the command shape
// (Go 1.23: main does the work, once per instance), Run for the body of a
// process function.

package wadup

import "os"

// Run calls fn for the current content and returns process's result: 0
// after fn returned nil and the queued metadata was flushed; 1 when fn or
// the flush failed, after writing "<module>: <error>" to stderr (what was
// queued is then dropped, as wadup drops a failed call's metadata).
func Run(fn func() error) int32 {
	err := fn()
	if err == nil {
		err = Flush()
	}
	if err != nil {
		forgetQueued()
		name := "module"
		if len(os.Args) > 0 && os.Args[0] != "" {
			name = os.Args[0]
		}
		os.Stderr.WriteString(name + ": " + err.Error() + "\n")
		return 1
	}
	return 0
}

// Main runs process on the current content and ends the instance with its
// result: call it from main. Queued metadata is flushed when process
// returns 0; a non-zero result n exits with code n (wadup reports error
// kind "exit", exit_code n).
//
// When there is no content — WADUP_FILENAME is not set, as when wadup runs
// the _start of a Go 1.24 module that also exports process, at
// instantiation — Main returns at once, so one source works both as a
// command and as a reactor.
func Main(process func() int32) {
	if _, ok := lookupEnv("WADUP_FILENAME"); !ok {
		return
	}
	code := process()
	if code == 0 {
		if err := Flush(); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			code = 1
		}
	}
	if code != 0 {
		os.Exit(int(code))
	}
}
