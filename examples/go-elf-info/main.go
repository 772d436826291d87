// main.go — go-elf-info: describes an ELF file with Go's debug/elf:
// elf_info (class, byte order, OS ABI, type, machine, entry point, number
// of sections), elf_sections (one row per section header) and
// elf_libraries (the DT_NEEDED libraries of a dynamically linked file).
// Contents that do not start with the ELF magic are skipped; a damaged
// ELF file fails the call.
//
// Built with Go 1.23 as a WASI command (guest/go/build-module.sh): main
// runs once per content.
package main

import (
	"debug/elf"
	"errors"
	"io"

	wadup "github.com/tordynnar/wadup2/guest/go"
)

func run() error {
	f, err := wadup.OpenContent()
	if err != nil {
		return err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != elf.ELFMAG {
		return nil // not an ELF file
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return errors.New("elf: " + err.Error())
	}
	info, err := wadup.NewTableBuilder("elf_info").
		Column("class", wadup.String).
		Column("byte_order", wadup.String).
		Column("osabi", wadup.String).
		Column("type", wadup.String).
		Column("machine", wadup.String).
		Column("entry", wadup.Int64).
		Column("section_count", wadup.Int64).
		Build()
	if err != nil {
		return err
	}
	order := "little"
	if ef.ByteOrder.String() == "BigEndian" {
		order = "big"
	}
	if err := info.InsertRow([]wadup.Value{
		wadup.NewString(ef.Class.String()), wadup.NewString(order), wadup.NewString(ef.OSABI.String()),
		wadup.NewString(ef.Type.String()), wadup.NewString(ef.Machine.String()),
		wadup.NewInt64(int64(ef.Entry)), wadup.NewInt64(int64(len(ef.Sections))),
	}); err != nil {
		return err
	}
	sections, err := wadup.NewTableBuilder("elf_sections").
		Column("idx", wadup.Int64).
		Column("name", wadup.String).
		Column("type", wadup.String).
		Column("flags", wadup.String).
		Column("address", wadup.Int64).
		Column("offset", wadup.Int64).
		Column("size", wadup.Int64).
		Build()
	if err != nil {
		return err
	}
	for i, s := range ef.Sections {
		if err := sections.InsertRow([]wadup.Value{
			wadup.NewInt64(int64(i)), wadup.NewString(s.Name), wadup.NewString(s.Type.String()),
			wadup.NewString(s.Flags.String()), wadup.NewInt64(int64(s.Addr)), wadup.NewInt64(int64(s.Offset)),
			wadup.NewInt64(int64(s.Size)),
		}); err != nil {
			return err
		}
	}
	if ef.Section(".dynamic") == nil {
		return nil // statically linked: no libraries
	}
	libs, err := ef.ImportedLibraries()
	if err != nil {
		return errors.New("elf: imported libraries: " + err.Error())
	}
	libTable, err := wadup.NewTableBuilder("elf_libraries").Column("library", wadup.String).Build()
	if err != nil {
		return err
	}
	for _, l := range libs {
		if err := libTable.InsertRow([]wadup.Value{wadup.NewString(l)}); err != nil {
			return err
		}
	}
	return nil
}

func main() { wadup.Main(func() int32 { return wadup.Run(run) }) }
