// env_wasip1.go — reading the environment straight from the host with
// WASI preview1's environ_sizes_get and environ_get.

//go:build wasip1

package wadup

import "unsafe"

//go:wasmimport wasi_snapshot_preview1 environ_sizes_get
//go:noescape
func environSizesGet(count, size unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 environ_get
//go:noescape
func environGet(ptrs, buf unsafe.Pointer) uint32

// lookupEnv: the host's current value of name. The host writes count
// 32-bit guest addresses into ptrs, each pointing at "NAME=value\0" in buf.
func lookupEnv(name string) (string, bool) {
	var count, size uint32
	if environSizesGet(unsafe.Pointer(&count), unsafe.Pointer(&size)) != 0 || count == 0 {
		return "", false
	}
	ptrs := make([]uint32, count)
	buf := make([]byte, size)
	if environGet(unsafe.Pointer(&ptrs[0]), unsafe.Pointer(&buf[0])) != 0 {
		return "", false
	}
	base := uint32(uintptr(unsafe.Pointer(&buf[0])))
	for _, p := range ptrs {
		off := p - base
		if off >= size {
			continue
		}
		entry := buf[off:]
		for i, c := range entry {
			if c == 0 {
				entry = entry[:i]
				break
			}
		}
		if len(entry) > len(name) && entry[len(name)] == '=' && string(entry[:len(name)]) == name {
			return string(entry[len(name)+1:]), true
		}
	}
	return "", false
}
