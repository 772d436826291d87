// main.go — go-image-info: the format and size of a PNG, JPEG or GIF image,
// read from its header with Go's image.DecodeConfig (the pixels are not
// decoded), in image_info(format, width, height). Other contents are
// skipped; a file that starts like an image but whose header is damaged
// fails the call.
//
// Built with Go 1.23 as a WASI command (guest/go/build-module.sh): main
// runs once per content.
package main

import (
	"bufio"
	"errors"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	wadup "github.com/tordynnar/wadup2/guest/go"
)

func run() error {
	f, err := wadup.OpenContent()
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(bufio.NewReader(f))
	if err == image.ErrFormat {
		return nil // not PNG, JPEG or GIF
	}
	if err != nil {
		return errors.New(format + ": " + err.Error())
	}
	t, err := wadup.NewTableBuilder("image_info").
		Column("format", wadup.String).
		Column("width", wadup.Int64).
		Column("height", wadup.Int64).
		Build()
	if err != nil {
		return err
	}
	return t.InsertRow([]wadup.Value{
		wadup.NewString(format), wadup.NewInt64(int64(cfg.Width)), wadup.NewInt64(int64(cfg.Height)),
	})
}

func main() { wadup.Main(func() int32 { return wadup.Run(run) }) }
