//! wadup-guest — write wadup modules in Rust.
//!
//! A module is a `cdylib` for `wasm32-wasi` that exports
//! `#[no_mangle] pub extern "C" fn process() -> i32` (0 = success). It reads
//! the content at [`Content::path`] (`/data.bin`), defines tables with
//! [`TableBuilder`], inserts rows with [`Table::insert`], writes them with
//! [`flush`], and may emit sub-content with [`SubContent`]. Everything goes
//! through wadup's file protocol (docs/module-abi.md): metadata JSON files in
//! `/metadata/`, sub-content files in `/subcontent/`. Nothing is written
//! until [`flush`]: call it before `process` returns.
//!
//! The API is the original WADUP's (`TableBuilder::new(name).column(name,
//! DataType::Int64).build()`, `table.insert(&[Value::Int64(n)])`, `flush()`,
//! `SubContent::emit_bytes`, `SubContent::emit_slice`), so its modules build
//! unchanged, plus `DataType::Boolean`, `Value::Boolean`, `Value::Null`,
//! owned column names and the content's name ([`Content::filename`]).
//!
//! With the `sqlite` feature the crate also provides the SQLite VFS
//! (`sqlite3_os_init`) for the guest SQLite, which is built without one, so
//! that rusqlite's `Connection::open("/data.bin")` works (module `sqlite`).

mod content;
mod json;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod subcontent;
mod table;
mod types;

pub use content::Content;
pub use subcontent::SubContent;
pub use table::{flush, Table, TableBuilder};
pub use types::{Column, DataType, Value};
