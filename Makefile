# wadup — build rules.
#   make            CLI at build/wadup, example modules at build/examples/*.wasm
#   make asan       the same CLI built with AddressSanitizer + UBSan at build/asan/wadup
#   make test       unit tests + end-to-end tests, normal and sanitizer builds
CC       ?= cc
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -Isrc
CFLAGS   ?= -O2
LDLIBS   = -ldl -lpthread -ljansson -lnettle -lsqlite3 -lrt -lm
LDFLAGS_BIN = -rdynamic

SRC      := $(sort $(wildcard src/*/*.c))
LIB_SRC  := $(filter-out src/cli/%,$(SRC))
CLI_SRC  := $(filter src/cli/%,$(SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

B        ?= build
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

OBJ_DIR  = $(B)/obj
LIB_OBJ  = $(LIB_SRC:%.c=$(OBJ_DIR)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(OBJ_DIR)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

# Guest toolchain: Debian clang-19 for wasm32-wasi against a minimal sysroot
# holding only Debian's wasi-libc (so host headers are never picked up).
WASM_CC     = clang-19
SYSROOT     = build/wasi-sysroot
WASM_CFLAGS = --target=wasm32-wasi --sysroot=$(SYSROOT) -O2 -Wall -Wextra -Werror -Iguest/c
WASM_REACTOR = -mexec-model=reactor
EXAMPLES    = $(sort $(notdir $(wildcard examples/*/module.c)))
EXAMPLE_DIRS = $(filter-out examples/hostile,$(sort $(dir $(wildcard examples/*/module.c))))
EXAMPLE_WASM = $(patsubst examples/%/,build/examples/%.wasm,$(EXAMPLE_DIRS))
HOSTILE_C    = $(sort $(wildcard examples/hostile/*.c))
HOSTILE_WASM = $(patsubst examples/hostile/%.c,build/examples/hostile/%.wasm,$(HOSTILE_C))
GUEST_TEST_C    = $(sort $(wildcard tests/guest/*.c))
GUEST_TEST_WASM = $(patsubst tests/guest/%.c,build/tests/guest/%.wasm,$(GUEST_TEST_C))
# Command modules (export _start) for `wadup exec` tests: no reactor flag.
GUEST_CMD_C     = $(sort $(wildcard tests/guest/cmd/*.c))
GUEST_CMD_WASM  = $(patsubst tests/guest/cmd/%.c,build/tests/guest/cmd/%.wasm,$(GUEST_CMD_C))
# WASI preview1 conformance programs (commands, tests/e2e/test_wasi_conformance.py).
GUEST_WASI_C    = $(sort $(wildcard tests/guest/wasi/*.c))
GUEST_WASI_WASM = $(patsubst tests/guest/wasi/%.c,build/tests/guest/wasi/%.wasm,$(GUEST_WASI_C))

.PHONY: all asan unit-bins bench-bins examples test clean
all: $(B)/wadup examples

$(B)/wadup: $(LIB_OBJ) $(CLI_OBJ)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS_BASE) $(CFLAGS) $(LDFLAGS_BIN) -o $@ $^ $(LDLIBS)

$(OBJ_DIR)/%.o: %.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CFLAGS_BASE) $(CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(LIB_OBJ) tests/unit/test.h
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS_BASE) $(CFLAGS) -Itests/unit $(LDFLAGS_BIN) -o $@ $< $(LIB_OBJ) $(LDLIBS)

unit-bins: $(UNIT_BIN)

asan:
	@$(MAKE) --no-print-directory B=build/asan CFLAGS="-O1 $(SAN_FLAGS)" build/asan/wadup unit-bins

$(SYSROOT)/.stamp:
	@mkdir -p $(SYSROOT)/include $(SYSROOT)/lib
	ln -sfn /usr/include/wasm32-wasi $(SYSROOT)/include/wasm32-wasi
	ln -sfn /usr/lib/wasm32-wasi $(SYSROOT)/lib/wasm32-wasi
	@touch $@

examples: $(EXAMPLE_WASM) $(HOSTILE_WASM) $(GUEST_TEST_WASM) $(GUEST_CMD_WASM) $(GUEST_WASI_WASM)

build/examples/%.wasm: examples/%/module.c guest/c/wadup.h $(SYSROOT)/.stamp
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) $(WASM_REACTOR) $(shell cat examples/$*/build.flags 2>/dev/null) -o $@ $<

build/examples/hostile/%.wasm: examples/hostile/%.c guest/c/wadup.h $(SYSROOT)/.stamp
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) $(shell sed -n 's|^// build-flags: ||p' $<) -o $@ $<

build/tests/guest/%.wasm: tests/guest/%.c guest/c/wadup.h $(SYSROOT)/.stamp
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) $(WASM_REACTOR) -o $@ $<

build/tests/guest/cmd/%.wasm: tests/guest/cmd/%.c $(SYSROOT)/.stamp
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) -o $@ $<

build/tests/guest/wasi/%.wasm: tests/guest/wasi/%.c tests/guest/wasi/conform.h $(SYSROOT)/.stamp
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) -o $@ $<

# The shared CPython runtime for Python modules (minutes on first build;
# each stage is redone only when its inputs change) and the files
# `wadup python build` uses next to it.
PYTHON_DIR = build/python
.PHONY: python python-sdk
python: python-sdk
	./scripts/build-python.sh

python-sdk: $(PYTHON_DIR)/build_module.py $(PYTHON_DIR)/wadup/__init__.py

$(PYTHON_DIR)/build_module.py: guest/python/build_module.py
	@mkdir -p $(dir $@)
	cp $< $@

$(PYTHON_DIR)/wadup/__init__.py: guest/python/wadup/__init__.py
	@mkdir -p $(dir $@)
	cp $< $@

bench-bins: build/bench/sink_bench build/bench/native_baseline

build/bench/sink_bench: bench/sink_bench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) $(LDFLAGS_BIN) -o $@ $< $(LIB_OBJ) $(LDLIBS)

build/bench/native_baseline: bench/native_baseline.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -o $@ $< -lsqlite3

test: all asan
	./scripts/test.sh

clean:
	rm -rf build

# --- guest libraries (begin)
# Third-party C libraries for guest modules, built for wasm32-wasi from
# Debian source packages by scripts/build-guest-libs.sh (docs/guest-libraries.md).
# The script is idempotent and rebuilds only when its outputs are missing or
# the script changed. Examples that link a library depend on the stamp.
GUEST_LIBS_STAMP = build/guest-libs/.stamp

$(GUEST_LIBS_STAMP): scripts/build-guest-libs.sh $(SYSROOT)/.stamp
	./scripts/build-guest-libs.sh
	@touch $@

build/examples/zip-extractor.wasm: $(GUEST_LIBS_STAMP) examples/zip-extractor/build.flags
build/examples/sqlite-parser.wasm: $(GUEST_LIBS_STAMP) examples/sqlite-parser/build.flags
# --- guest libraries (end)

# --- fuzzing (begin)
# libFuzzer harnesses (tests/fuzz/fuzz_*.c, docs/fuzzing.md) built with
# Debian's clang-19 against the library sources compiled with clang-19 too
# (coverage + ASan + UBSan), at build/fuzz/fuzz_*. scripts/fuzz.sh runs them.
FUZZ_CC      = clang-19
FUZZ_DIR     = build/fuzz
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -Isrc -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
FUZZ_OBJ     = $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_SRC     = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     = $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_DIR)/%)

.PHONY: fuzz
fuzz: $(FUZZ_BIN)

$(FUZZ_DIR)/obj/%.o: %.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC  $< (fuzz)"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(FUZZ_DIR)/libwadup.a: $(FUZZ_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_DIR)/libwadup.a
	@echo "  LD  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -Itests/fuzz -o $@ $< $(FUZZ_DIR)/libwadup.a $(LDLIBS)
# --- fuzzing (end)

# --- ABI test guests and Rust modules (begin)
# tests/guest/abi: the env binary128 test module in both import shapes
# (result pointer; clang's experimental multi-value ABI) and a module of
# Go's wasip1 shape (exports _start ending in proc_exit(0), and process).
ABI_DIR  = build/tests/guest/abi
ABI_WASM = $(ABI_DIR)/softfloat.wasm $(ABI_DIR)/softfloat_mv.wasm $(ABI_DIR)/go_start.wasm
SF_MV_FLAGS = -DSF_MULTIVALUE -mmultivalue -Xclang -target-abi -Xclang experimental-mv

$(ABI_DIR)/softfloat.wasm: tests/guest/abi/softfloat.c tests/guest/abi/softfloat_cases.h guest/c/wadup.h $(SYSROOT)/.stamp
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) $(WASM_REACTOR) -o $@ $<

$(ABI_DIR)/softfloat_mv.wasm: tests/guest/abi/softfloat.c tests/guest/abi/softfloat_cases.h guest/c/wadup.h $(SYSROOT)/.stamp
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) $(WASM_REACTOR) $(SF_MV_FLAGS) -o $@ $<

$(ABI_DIR)/go_start.wasm: tests/guest/abi/go_start.c guest/c/wadup.h $(SYSROOT)/.stamp
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) -o $@ $<

# Rust modules (examples/rust-*, guest/rust, docs/writing-modules-rust.md):
# built offline by Debian's cargo/rustc 1.63 for wasm32-wasi against the
# Debian crates in /usr/share/cargo/registry (guest/rust/build-module.sh).
RUST_EXAMPLES = rust-byte-counter rust-zip-extractor rust-sqlite-parser
RUST_WASM     = $(RUST_EXAMPLES:%=build/examples/%.wasm)
RUST_SDK_SRC  = guest/rust/Cargo.toml $(wildcard guest/rust/src/*.rs) guest/rust/build-module.sh \
                guest/rust/getrandom-wasi/Cargo.toml guest/rust/getrandom-wasi/src/lib.rs
.PHONY: rust-examples
rust-examples: $(RUST_WASM)

build/examples/rust-%.wasm: examples/rust-%/Cargo.toml examples/rust-%/src/lib.rs $(RUST_SDK_SRC)
	guest/rust/build-module.sh examples/rust-$* $@

build/examples/rust-sqlite-parser.wasm: $(GUEST_LIBS_STAMP)

# tests/guest/rust: plain Rust std programs (no crates), built by rustc alone
RUST_STD_WASM = build/tests/guest/rust/std_fs.wasm
build/tests/guest/rust/%.wasm: tests/guest/rust/%.rs
	@mkdir -p $(dir $@)
	/usr/bin/rustc --target wasm32-wasi -O -C strip=debuginfo -o $@ $<

examples: $(ABI_WASM) $(RUST_WASM) $(RUST_STD_WASM)
# --- ABI test guests and Rust modules (end)

# --- Go modules (begin)
# Go modules (examples/go-*, guest/go, docs/writing-modules-go.md): built
# offline by Debian's golang-1.23 (bookworm-backports) for GOOS=wasip1
# GOARCH=wasm with guest/go/build-module.sh; the SDK is reached through a
# `replace` directive. Go 1.23 builds WASI commands (a fresh instance per
# content). Also the runtime checks of tests/e2e/test_go.py and the module
# of bench/lang_overhead.py.
GO_EXAMPLES = go-tar-extractor go-elf-info go-image-info
GO_WASM     = $(GO_EXAMPLES:%=build/examples/%.wasm) build/tests/guest/go/runtime-check.wasm
GO_SDK_SRC  = guest/go/go.mod $(wildcard guest/go/*.go) guest/go/build-module.sh
.PHONY: go-examples
go-examples: $(GO_WASM)

build/examples/go-%.wasm: examples/go-%/go.mod examples/go-%/main.go $(GO_SDK_SRC)
	guest/go/build-module.sh examples/go-$* $@

build/tests/guest/go/runtime-check.wasm: $(wildcard guest/go/testdata/runtime-check/*) $(GO_SDK_SRC)
	guest/go/build-module.sh guest/go/testdata/runtime-check $@

build/bench/go-byte-counter.wasm: bench/go-byte-counter/go.mod bench/go-byte-counter/main.go $(GO_SDK_SRC)
	guest/go/build-module.sh bench/go-byte-counter $@

examples: $(GO_WASM)
bench-bins: build/bench/go-byte-counter.wasm
# --- Go modules (end)
