module wadup.example/go-elf-info

go 1.23

require github.com/tordynnar/wadup2/guest/go v0.0.0

replace github.com/tordynnar/wadup2/guest/go => ../../guest/go
