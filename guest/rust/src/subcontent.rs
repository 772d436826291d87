//! subcontent.rs — emitting sub-content: bytes, or a slice of the content.

use crate::json;
use std::cell::Cell;

thread_local! {
    static EMITTED: Cell<u64> = Cell::new(0);
}

fn next_id() -> u64 {
    EMITTED.with(|c| {
        c.set(c.get() + 1);
        c.get()
    })
}

/// Sub-content: wadup processes it with every module, recursively.
pub struct SubContent;

impl SubContent {
    /// Emit `data` as a new content named `filename`: writes and closes
    /// `/subcontent/data_<n>.bin`, then `/subcontent/metadata_<n>.json`.
    pub fn emit_bytes(data: &[u8], filename: &str) -> Result<(), String> {
        let n = next_id();
        let data_path = format!("/subcontent/data_{}.bin", n);
        std::fs::write(&data_path, data).map_err(|e| format!("cannot write {}: {}", data_path, e))?;
        let mut meta = String::from("{\"filename\":");
        json::push_str(&mut meta, filename);
        meta.push('}');
        Self::write_descriptor(n, &meta)
    }

    /// Emit bytes `offset .. offset + length` of the current content as a
    /// new content named `filename`, without copying them.
    pub fn emit_slice(offset: usize, length: usize, filename: &str) -> Result<(), String> {
        Self::emit_slice64(offset as u64, length as u64, filename)
    }

    /// [`SubContent::emit_slice`] with 64-bit offsets (contents may be
    /// larger than a wasm32 `usize`).
    pub fn emit_slice64(offset: u64, length: u64, filename: &str) -> Result<(), String> {
        let n = next_id();
        let mut meta = String::from("{\"filename\":");
        json::push_str(&mut meta, filename);
        meta.push_str(&format!(",\"offset\":{},\"length\":{}}}", offset, length));
        Self::write_descriptor(n, &meta)
    }

    fn write_descriptor(n: u64, meta: &str) -> Result<(), String> {
        let path = format!("/subcontent/metadata_{}.json", n);
        std::fs::write(&path, meta).map_err(|e| format!("cannot write {}: {}", path, e))
    }
}
