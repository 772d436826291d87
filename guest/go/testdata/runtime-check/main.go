// main.go — runtime-check: a Go command module that exercises what the Go
// wasip1 runtime asks of wadup's WASI (tests/e2e/test_go.py): timers and
// sleeping (poll_oneoff, clock_time_get), goroutines and channels, the
// garbage collector and memory growth, random_get, stdout and stderr, the
// environment and arguments. Emits go_runtime(check String, ok Boolean,
// detail String), one row per check.
//
// The content's name selects a failure instead: "exit7" exits with code
// 7, "panic" panics, "nil" dereferences a nil pointer, "sleep" sleeps for
// 30 s (to be stopped by --timeout), "noflush" returns an error after
// queueing a row.
package main

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"

	wadup "github.com/tordynnar/wadup2/guest/go"
)

//go:wasmimport wasi_snapshot_preview1 random_get
//go:noescape
func randomGet(buf unsafe.Pointer, n uint32) uint32

type node struct{ next *node }

var sink *node

func run() error {
	t, err := wadup.NewTableBuilder("go_runtime").
		Column("check", wadup.String).
		Column("ok", wadup.Boolean).
		Column("detail", wadup.String).
		Build()
	if err != nil {
		return err
	}
	row := func(check string, ok bool, detail string) error {
		return t.InsertRow([]wadup.Value{wadup.NewString(check), wadup.NewBoolean(ok), wadup.NewString(detail)})
	}
	switch wadup.Filename() {
	case "exit7":
		os.Exit(7)
	case "panic":
		panic("runtime-check: boom")
	case "nil":
		sink.next = nil
	case "sleep":
		time.Sleep(30 * time.Second)
	case "noflush":
		_ = row("never", true, "")
		return errors.New("failing on purpose")
	}

	// Sleeping: the scheduler waits in poll_oneoff; the monotonic clock
	// shows the time passed.
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	slept := time.Since(start)
	if err := row("sleep", slept >= 20*time.Millisecond && slept < 5*time.Second, slept.String()); err != nil {
		return err
	}

	// Goroutines, a channel, a WaitGroup and a timer racing a result.
	results := make(chan int, 4)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			sum := 0
			for i := 0; i <= 1000*(g+1); i++ {
				sum += i
				if i%100 == 0 {
					runtime.Gosched() // sched_yield between goroutines
				}
			}
			results <- sum
		}(g)
	}
	wg.Wait()
	close(results)
	total := 0
	for s := range results {
		total += s
	}
	timer := time.NewTimer(10 * time.Millisecond)
	done := make(chan bool)
	go func() { done <- true }()
	select {
	case <-done:
	case <-timer.C:
		total = -1
	}
	if err := row("goroutines", total == 500500+2001000+4501500+8002000, strconv.Itoa(total)); err != nil {
		return err
	}

	// Allocate 64 MiB in small objects, drop it, collect: memory grows.
	var head *node
	for i := 0; i < 4<<20; i++ {
		head = &node{next: head}
	}
	head = nil
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if err := row("gc", ms.NumGC > 0, "NumGC "+strconv.Itoa(int(ms.NumGC))+", Sys "+strconv.FormatUint(ms.Sys, 10)); err != nil {
		return err
	}

	// The wall clock is the host's.
	now := time.Now().Unix()
	if err := row("clock", now > 1600000000, strconv.FormatInt(now, 10)); err != nil {
		return err
	}

	// random_get gives random bytes.
	var buf [16]byte
	rc := randomGet(unsafe.Pointer(&buf[0]), uint32(len(buf)))
	hex := ""
	zero := true
	for _, b := range buf {
		hex += strconv.FormatUint(uint64(b)|0x100, 16)[1:]
		zero = zero && b == 0
	}
	if err := row("random", rc == 0 && !zero, hex); err != nil {
		return err
	}

	// Output is captured; the environment and arguments are wadup's.
	os.Stdout.WriteString("runtime-check: stdout\n")
	os.Stderr.WriteString("runtime-check: stderr\n")
	env := os.Getenv("WADUP_FILENAME") + "|" + wadup.Filename() + "|" + strconv.Itoa(wadup.Depth()) + "|" +
		strconv.Itoa(len(wadup.ContentUUID()))
	if err := row("env", os.Getenv("WADUP_FILENAME") == wadup.Filename(), env); err != nil {
		return err
	}
	args := ""
	if len(os.Args) > 0 {
		args = os.Args[0]
	}
	if err := row("args", len(os.Args) == 1, args); err != nil {
		return err
	}
	data, err := wadup.ReadContent()
	if err != nil {
		return err
	}
	size, err := wadup.ContentSize()
	if err != nil {
		return err
	}
	if err := row("content", int64(len(data)) == size, strconv.FormatInt(size, 10)); err != nil {
		return err
	}
	// /data.bin is read-only.
	_, werr := os.OpenFile(wadup.ContentPath, os.O_WRONLY|os.O_TRUNC, 0)
	return row("readonly", werr != nil, errString(werr))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func main() { wadup.Main(func() int32 { return wadup.Run(run) }) }
