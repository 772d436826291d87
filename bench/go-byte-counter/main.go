// main.go — go-byte-counter: the Go counterpart of examples/byte-counter
// (file_sizes(size_bytes Int64), one row per content), for
// bench/lang_overhead.py: a Go command module doing almost nothing, so a
// run measures what wadup spends per content on a Go module (a fresh
// instance and the Go runtime's start-up).
package main

import wadup "github.com/tordynnar/wadup2/guest/go"

func run() error {
	size, err := wadup.ContentSize()
	if err != nil {
		return err
	}
	t, err := wadup.NewTableBuilder("file_sizes").Column("size_bytes", wadup.Int64).Build()
	if err != nil {
		return err
	}
	return t.InsertRow([]wadup.Value{wadup.NewInt64(size)})
}

func main() { wadup.Main(func() int32 { return wadup.Run(run) }) }
