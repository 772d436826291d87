//! content.rs — the content being processed and its environment.

use std::fs::File;

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    #[link_name = "environ_sizes_get"]
    fn wasi_environ_sizes_get(count: *mut usize, size: *mut usize) -> i32;
    #[link_name = "environ_get"]
    fn wasi_environ_get(environ: *mut *mut u8, buf: *mut u8) -> i32;
}

/// The current content: the read-only file `/data.bin`.
pub struct Content;

impl Content {
    /// The content's path, `/data.bin`.
    pub fn path() -> &'static str {
        "/data.bin"
    }

    /// Open the content for reading.
    pub fn open() -> std::io::Result<File> {
        File::open(Self::path())
    }

    /// The content's bytes.
    pub fn read() -> std::io::Result<Vec<u8>> {
        std::fs::read(Self::path())
    }

    /// The content's size in bytes.
    pub fn size() -> std::io::Result<u64> {
        Ok(std::fs::metadata(Self::path())?.len())
    }

    /// The content's file name (`WADUP_FILENAME`), or None.
    pub fn filename() -> Option<String> {
        Self::env("WADUP_FILENAME")
    }

    /// The content's UUID (`WADUP_CONTENT_UUID`), or None.
    pub fn uuid() -> Option<String> {
        Self::env("WADUP_CONTENT_UUID")
    }

    /// The content's depth (`WADUP_DEPTH`: 0 for input files).
    pub fn depth() -> Option<u32> {
        Self::env("WADUP_DEPTH").and_then(|d| d.parse().ok())
    }

    /// Environment variable `name` read with WASI's environ_get, not
    /// std::env: wadup changes the variables per content while a reactor
    /// instance is reused, and the libc copy std reads is made only once.
    pub fn env(name: &str) -> Option<String> {
        let (mut count, mut size) = (0usize, 0usize);
        // SAFETY: both pointers are to live locals; the host bounds-checks them.
        if unsafe { wasi_environ_sizes_get(&mut count, &mut size) } != 0 {
            return None;
        }
        let mut ptrs: Vec<*mut u8> = vec![std::ptr::null_mut(); count];
        let mut buf = vec![0u8; size];
        // SAFETY: ptrs has `count` slots and buf `size` bytes, as the host said.
        if unsafe { wasi_environ_get(ptrs.as_mut_ptr(), buf.as_mut_ptr()) } != 0 {
            return None;
        }
        buf.split(|b| *b == 0).find_map(|entry| {
            let eq = entry.iter().position(|b| *b == b'=')?;
            if &entry[..eq] == name.as_bytes() {
                String::from_utf8(entry[eq + 1..].to_vec()).ok()
            } else {
                None
            }
        })
    }
}
