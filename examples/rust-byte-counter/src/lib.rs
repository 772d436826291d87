//! rust-byte-counter — records the size of every content in the table
//! file_sizes(size_bytes Int64), as examples/byte-counter does in C.
//! Returns 1 if the size cannot be read or the metadata cannot be written.

use wadup_guest::{flush, Content, DataType, TableBuilder, Value};

fn count() -> Result<(), String> {
    let size = Content::size().map_err(|e| format!("cannot stat {}: {}", Content::path(), e))?;
    let sizes = TableBuilder::new("file_sizes").column("size_bytes", DataType::Int64).build()?;
    sizes.insert(&[Value::Int64(size as i64)])?;
    flush()
}

#[no_mangle]
pub extern "C" fn process() -> i32 {
    match count() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("rust-byte-counter: {}", e);
            1
        }
    }
}
