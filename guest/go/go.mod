// The wadup guest SDK for Go (docs/writing-modules-go.md). Its module path is
// the original WADUP's, so modules written for it build unchanged with a
// `replace github.com/tordynnar/wadup2/guest/go => <this directory>` line.
module github.com/tordynnar/wadup2/guest/go

go 1.23
