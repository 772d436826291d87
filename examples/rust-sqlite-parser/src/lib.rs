//! rust-sqlite-parser — if the content is an SQLite database, records the
//! row count of every user table in db_table_stats(table_name String,
//! row_count Int64), one row per table in name order, as
//! examples/sqlite-parser does in C.
//!
//! The content is recognised by its 16-byte header "SQLite format 3\0";
//! anything else returns 0 with no rows. The database is opened as the
//! original WADUP's Rust module opened it, `Connection::open("/data.bin")`
//! (read-write and create: wadup's VFS in wadup-guest falls back to
//! read-only, since the content refuses writes); if that connection cannot
//! read the schema (a WAL database needs shared memory), it is reopened
//! read-only and immutable. Defensive mode, untrusted schema. A corrupt
//! database (any SQLite error) prints the error on stderr and returns 1,
//! with no rows. A virtual table whose module is not compiled in gets a null
//! row_count and a stderr line.

use rusqlite::{Connection, OpenFlags};
use std::io::Read;
use std::os::raw::c_int;
use wadup_guest::{flush, Content, DataType, TableBuilder, Value};

const SQLITE_DBCONFIG_DEFENSIVE: c_int = 1010;
const SQLITE_DBCONFIG_TRUSTED_SCHEMA: c_int = 1017;

const TABLES_SQL: &str = "SELECT name, sql LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_master \
     WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

fn is_sqlite() -> bool {
    let mut head = [0u8; 16];
    match Content::open() {
        Ok(mut f) => f.read_exact(&mut head).is_ok() && &head == b"SQLite format 3\0",
        Err(_) => false,
    }
}

/// harden: defensive mode, no trust in the schema's functions.
fn harden(conn: &Connection) {
    // SAFETY: a valid connection handle; both options take (int, int*).
    unsafe {
        let db = conn.handle();
        rusqlite::ffi::sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1 as c_int, std::ptr::null_mut::<c_int>());
        rusqlite::ffi::sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0 as c_int, std::ptr::null_mut::<c_int>());
    }
}

/// tables: (name, is_virtual) of the user tables, by name.
fn tables(conn: &Connection) -> rusqlite::Result<Vec<(String, bool)>> {
    let mut st = conn.prepare(TABLES_SQL)?;
    let rows = st.query_map([], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, bool>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        if let (Some(name), virt) = row? {
            out.push((name, virt));
        }
    }
    Ok(out)
}

fn open() -> Result<(Connection, Vec<(String, bool)>), String> {
    if let Ok(conn) = Connection::open(Content::path()) {
        harden(&conn);
        if let Ok(t) = tables(&conn) {
            return Ok((conn, t));
        }
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags("file:/data.bin?mode=ro&immutable=1", flags)
        .map_err(|e| format!("open: {}", e))?;
    harden(&conn);
    let t = tables(&conn).map_err(|e| format!("reading the schema: {}", e))?;
    Ok((conn, t))
}

fn parse() -> Result<(), String> {
    let (conn, list) = open()?;
    let mut stats = Vec::with_capacity(list.len());
    for (name, is_virtual) in list {
        let sql = format!("SELECT COUNT(*) FROM main.\"{}\"", name.replace('"', "\"\""));
        match conn.query_row(&sql, [], |r| r.get::<_, i64>(0)) {
            Ok(n) => stats.push((name, Value::Int64(n))),
            Err(e) if is_virtual => {
                eprintln!("rust-sqlite-parser: virtual table \"{}\" not counted: {}", name, e);
                stats.push((name, Value::Null));
            }
            Err(e) => return Err(format!("counting rows: {}", e)),
        }
    }
    let table = TableBuilder::new("db_table_stats")
        .column("table_name", DataType::String)
        .column("row_count", DataType::Int64)
        .build()?;
    for (name, count) in stats {
        table.insert(&[Value::String(name), count])?;
    }
    flush().map_err(|e| format!("cannot write the metadata: {}", e))
}

#[no_mangle]
pub extern "C" fn process() -> i32 {
    if !is_sqlite() {
        return 0;
    }
    match parse() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("rust-sqlite-parser: {}", e);
            1
        }
    }
}
