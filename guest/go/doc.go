// doc.go — package documentation of the wadup Go SDK.

// Package wadup is the guest SDK for wadup modules written in Go
// (GOOS=wasip1 GOARCH=wasm). It is the original WADUP's Go API — tables
// of typed rows written as JSON to /metadata, sub-content written to
// /subcontent — with a few additions: Boolean columns and Null values,
// name and type checks when a table is defined or a row inserted, the
// content's name, UUID and depth read afresh for every content, and Main
// and Run for command modules.
//
// A module built with Go 1.23 (Debian's golang-1.23) is a WASI command:
// Go 1.23 has no //go:wasmexport, so the module exports only _start and
// wadup gives it a fresh instance per content, in which main does the
// work:
//
//	func run() error {
//		size, err := wadup.ContentSize()
//		if err != nil {
//			return err
//		}
//		t, err := wadup.NewTableBuilder("file_sizes").Column("size_bytes", wadup.Int64).Build()
//		if err != nil {
//			return err
//		}
//		return t.InsertRow([]wadup.Value{wadup.NewInt64(size)})
//	}
//
//	func main() { wadup.Main(func() int32 { return wadup.Run(run) }) }
//
// With Go 1.24 or later the same source can also export process
// (//go:wasmexport process) and become a reactor; Main then does nothing
// when _start runs at instantiation (there is no content yet).
//
// Nothing in the package uses encoding/json, fmt or reflect, so a module
// that does not import them stays small (its compile to native code is
// shorter). All functions are safe for concurrent use.
package wadup
