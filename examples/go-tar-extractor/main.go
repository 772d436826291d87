// main.go — go-tar-extractor: emits the files of a tar archive (plain,
// or gzip-compressed) as sub-content and lists its entries in
// tar_entries. Entries of a plain tar are emitted as zero-copy slices of
// the content; those of a .tar.gz as bytes. A gzip file that does not hold
// a tar is emitted decompressed, as one sub-content. Other contents are
// skipped (success, no output); a damaged archive fails the call.
//
// Built with Go 1.23 as a WASI command (guest/go/build-module.sh): main
// runs once per content.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path"
	"strings"

	wadup "github.com/tordynnar/wadup2/guest/go"
)

// posReader counts the bytes read from (or skipped in) the content, so the
// offset of an entry's data is known after tar.Reader.Next: archive/tar
// reads whole 512-byte blocks and never reads ahead.
type posReader struct {
	r   io.ReadSeeker
	pos int64
}

func (p *posReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.pos += int64(n)
	return n, err
}

func (p *posReader) Seek(off int64, whence int) (int64, error) {
	n, err := p.r.Seek(off, whence)
	if err == nil {
		p.pos = n
	}
	return n, err
}

// isTar: a ustar/GNU/PAX header block (magic "ustar" at offset 257).
func isTar(block []byte) bool {
	return len(block) >= 262 && string(block[257:262]) == "ustar"
}

func typeName(t byte) string {
	switch t {
	case tar.TypeReg, tar.TypeRegA:
		return "file"
	case tar.TypeDir:
		return "directory"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar:
		return "char_device"
	case tar.TypeBlock:
		return "block_device"
	case tar.TypeFifo:
		return "fifo"
	case tar.TypeGNUSparse:
		return "sparse"
	}
	return "other"
}

func run() error {
	f, err := wadup.OpenContent()
	if err != nil {
		return err
	}
	defer f.Close()
	var magic [2]byte
	if n, _ := io.ReadFull(f, magic[:]); n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		return gunzip(f)
	}
	head := make([]byte, 512)
	if _, err := f.ReadAt(head, 0); err != nil || !isTar(head) {
		return nil // not a tar archive (or shorter than one block)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	pr := &posReader{r: f}
	return extract(tar.NewReader(pr), pr, false)
}

// gunzip: a .tar.gz is extracted; any other gzip member is emitted whole.
func gunzip(f *os.File) error {
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil // gzip magic but not a gzip stream: not ours
	}
	br := bufio.NewReaderSize(zr, 512)
	if head, _ := br.Peek(512); isTar(head) {
		return extract(tar.NewReader(br), nil, true)
	}
	data, err := io.ReadAll(br)
	if err != nil {
		return errors.New("gzip: " + err.Error())
	}
	name := zr.Name
	if name == "" {
		name = strings.TrimSuffix(path.Base(wadup.Filename()), ".gz")
		if name == "" || name == path.Base(wadup.Filename()) {
			name += ".out"
		}
	}
	return wadup.EmitBytes(data, name)
}

// extract lists every entry and emits the regular files: as slices of the
// content when pr tracks the position in the content, else as bytes.
func extract(tr *tar.Reader, pr *posReader, compressed bool) error {
	table, err := wadup.NewTableBuilder("tar_entries").
		Column("name", wadup.String).
		Column("type", wadup.String).
		Column("size", wadup.Int64).
		Column("mode", wadup.Int64).
		Column("mtime", wadup.Int64).
		Column("link_target", wadup.String).
		Column("compressed", wadup.Boolean).
		Build()
	if err != nil {
		return err
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errors.New("tar: " + err.Error())
		}
		link := wadup.Null()
		if h.Linkname != "" {
			link = wadup.NewString(h.Linkname)
		}
		if err := table.InsertRow([]wadup.Value{
			wadup.NewString(h.Name), wadup.NewString(typeName(h.Typeflag)), wadup.NewInt64(h.Size),
			wadup.NewInt64(h.Mode), wadup.NewInt64(h.ModTime.Unix()), link, wadup.NewBoolean(compressed),
		}); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
			continue
		}
		if pr != nil {
			// The data follows the header blocks; check it is all there.
			start := pr.pos
			if n, err := io.Copy(io.Discard, tr); err != nil || n != h.Size {
				return errors.New("tar: " + h.Name + ": truncated entry")
			}
			err = wadup.EmitSlice(start, h.Size, h.Name)
		} else {
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, tr); err != nil {
				return errors.New("tar: " + h.Name + ": " + err.Error())
			}
			err = wadup.EmitBytes(buf.Bytes(), h.Name)
		}
		if err != nil {
			return err
		}
	}
}

func main() { wadup.Main(func() int32 { return wadup.Run(run) }) }
