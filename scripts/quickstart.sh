#!/usr/bin/env bash
# quickstart.sh — from a fresh Debian bookworm machine to results: installs
# everything (scripts/setup.sh), builds wadup, its example modules and the
# guest libraries they need, generates the sample data, and runs wadup's
# main job (`wadup run`) on it, writing the SQLite database wadup.db.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
make -j"$(nproc 2>/dev/null || echo 2)" all

samples=build/samples
rm -rf "$samples" build/modules
mkdir -p "$samples" build/modules
python3 scripts/make-fixtures.py "$samples" >/dev/null
cp examples/samples/* "$samples"/
python3 tests/e2e/go_fixtures.py build/go-samples
cp build/go-samples/archive.tar.gz "$samples"/   # for the Go module go-tar-extractor
for m in byte-counter zip-extractor sqlite-parser simple-test rust-byte-counter go-tar-extractor; do
    cp "build/examples/$m.wasm" build/modules/
done

echo
echo "==> wadup run --modules build/modules --input $samples -o wadup.db"
./build/wadup run --modules build/modules --input "$samples" -o wadup.db --force

echo
echo "==> what is in wadup.db"
sqlite3 -header -column wadup.db \
    "SELECT id, parent_id, depth, filename, size, status FROM contents ORDER BY id;" \
    "SELECT c.filename, f._module, f.size_bytes FROM file_sizes f JOIN contents c ON c.id = f._content ORDER BY c.id, f._module;" \
    "SELECT table_name, row_count FROM db_table_stats ORDER BY table_name;" \
    "SELECT name, type, size FROM tar_entries ORDER BY _content, name;" \
    "SELECT module, status, count(*) AS runs FROM module_runs GROUP BY module, status;"
echo
echo "Explore it with: sqlite3 wadup.db   (schema: docs/sqlite-schema.md)"
