// subcontent.go — emitting sub-content: bytes (/subcontent/data_<n>.bin
// plus metadata_<n>.json) or a zero-copy slice of the current content
// (metadata_<n>.json with offset and length). wadup processes each one as
// a new content with every module (docs/module-abi.md, "Sub-content").

package wadup

import (
	"errors"
	"strconv"
	"sync"
)

var (
	subMu    sync.Mutex
	subCount int
)

// nextSub returns the next emission number of this instance.
func nextSub() string {
	subMu.Lock()
	defer subMu.Unlock()
	n := subCount
	subCount++
	return strconv.Itoa(n)
}

// EmitBytes emits data as a new content named filename. The bytes are
// written to the instance's in-memory filesystem (they count toward
// --max-memory until the call ends) and handed over without a copy.
func EmitBytes(data []byte, filename string) error {
	n := nextSub()
	dataPath := "/subcontent/data_" + n + ".bin"
	if err := writeClosed(dataPath, data); err != nil {
		return errors.New("wadup: writing " + dataPath + ": " + err.Error())
	}
	desc := appendString(append([]byte(nil), `{"filename":`...), filename)
	desc = append(desc, "}\n"...)
	return writeDescriptor(n, desc)
}

// EmitSlice emits bytes [offset, offset+length) of the current content as
// a new content named filename, without copying them. A slice outside the
// content is reported by wadup as a metadata_error of the call.
func EmitSlice(offset, length int64, filename string) error {
	if offset < 0 || length < 0 {
		return errors.New("wadup: EmitSlice: negative offset or length")
	}
	n := nextSub()
	desc := appendString(append([]byte(nil), `{"filename":`...), filename)
	desc = append(desc, `,"offset":`...)
	desc = strconv.AppendInt(desc, offset, 10)
	desc = append(desc, `,"length":`...)
	desc = strconv.AppendInt(desc, length, 10)
	desc = append(desc, "}\n"...)
	return writeDescriptor(n, desc)
}

func writeDescriptor(n string, desc []byte) error {
	path := "/subcontent/metadata_" + n + ".json"
	if err := writeClosed(path, desc); err != nil {
		return errors.New("wadup: writing " + path + ": " + err.Error())
	}
	return nil
}
