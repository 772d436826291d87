//! rust-zip-extractor — if the content is a zip archive, emits every file in
//! it as sub-content named by its path in the archive, as
//! examples/zip-extractor does in C (stored and deflated entries; the zip
//! crate checks each entry's CRC-32 while reading it).
//!
//! Limits: an entry may inflate to at most ENTRY_CAP bytes and one archive
//! to at most TOTAL_BUDGET bytes; an entry declaring more is refused before
//! it is read, and reading stops at the cap whatever the header said.
//! Directories, encrypted entries and other methods are not extracted.
//!
//! Result: 0 when the content is not a zip (no output), or when every entry
//! was emitted or skipped as corrupt/unsupported (each skip is one stderr
//! line); 1 when the content cannot be opened; 2 when an emit failed (the
//! other entries are still tried).

use std::io::Read;
use wadup_guest::{Content, SubContent};

const ENTRY_CAP: u64 = 256 << 20;
const TOTAL_BUDGET: u64 = 1 << 30;

fn extract() -> i32 {
    let file = match Content::open() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rust-zip-extractor: cannot open {}: {}", Content::path(), e);
            return 1;
        }
    };
    let mut archive = match zip::ZipArchive::new(file) {
        Ok(a) => a,
        Err(_) => return 0, // not a zip
    };
    let (mut status, mut emitted) = (0, 0u64);
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("rust-zip-extractor: entry {} skipped: {}", i, e);
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        let size = entry.size();
        if size > ENTRY_CAP || size > TOTAL_BUDGET - emitted {
            eprintln!("rust-zip-extractor: {} skipped: {} bytes is over the limit", name, size);
            continue;
        }
        let mut data = Vec::with_capacity(size as usize);
        // Read one byte more than declared: an entry longer than its header says is corrupt.
        match entry.by_ref().take(size + 1).read_to_end(&mut data) {
            Ok(n) if n as u64 == size => {}
            Ok(n) => {
                eprintln!("rust-zip-extractor: {} skipped: {} bytes read, {} declared", name, n, size);
                continue;
            }
            Err(e) => {
                eprintln!("rust-zip-extractor: {} skipped: {}", name, e);
                continue;
            }
        }
        emitted += size;
        if let Err(e) = SubContent::emit_bytes(&data, &name) {
            eprintln!("rust-zip-extractor: {}: {}", name, e);
            status = 2;
        }
    }
    status
}

#[no_mangle]
pub extern "C" fn process() -> i32 {
    extract()
}
