//! table.rs — table definitions, rows and the metadata files they are
//! written to.

use crate::json;
use crate::types::{Column, DataType, Value};
use std::cell::RefCell;
use std::io::Write;

/// What has been defined and what waits for the next [`flush`].
struct State {
    defined: Vec<(String, Vec<Column>)>, // every table defined by this instance
    pending_tables: Vec<usize>,          // indexes into `defined` to write
    rows: String,                        // rendered rows, comma-separated
    files: u64,                          // metadata files written
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State {
        defined: Vec::new(),
        pending_tables: Vec::new(),
        rows: String::new(),
        files: 0,
    });
}

/// Whether `s` is a valid table or column name: `[A-Za-z_][A-Za-z0-9_]*`,
/// at most 64 bytes.
fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// A defined table; rows are inserted with [`Table::insert`].
#[derive(Clone, Debug)]
pub struct Table {
    name: String,
    columns: Vec<Column>,
}

impl Table {
    /// Define table `name` with `columns` (queued for the next [`flush`]).
    /// Defining a table again with the same columns is fine; with other
    /// columns it is an error.
    pub fn define(name: impl Into<String>, columns: Vec<(&str, DataType)>) -> Result<Table, String> {
        let cols = columns
            .into_iter()
            .map(|(n, t)| Column { name: n.to_string(), data_type: t })
            .collect();
        Table::define_columns(name, cols)
    }

    /// [`Table::define`] with owned [`Column`]s.
    pub fn define_columns(name: impl Into<String>, columns: Vec<Column>) -> Result<Table, String> {
        let name = name.into();
        if !valid_name(&name) {
            return Err(format!("invalid table name '{}' (use [A-Za-z_][A-Za-z0-9_]*, at most 64 bytes)", name));
        }
        if columns.is_empty() {
            return Err(format!("table '{}' has no columns", name));
        }
        for (i, c) in columns.iter().enumerate() {
            if !valid_name(&c.name) {
                return Err(format!("table '{}': invalid column name '{}'", name, c.name));
            }
            if columns[..i].iter().any(|d| d.name == c.name) {
                return Err(format!("table '{}': column '{}' appears twice", name, c.name));
            }
        }
        STATE.with(|st| {
            let mut st = st.borrow_mut();
            let index = match st.defined.iter().position(|(n, _)| *n == name) {
                Some(i) if st.defined[i].1 != columns => {
                    return Err(format!("table '{}' is already defined with other columns", name))
                }
                Some(i) => i,
                None => {
                    st.defined.push((name.clone(), columns.clone()));
                    st.defined.len() - 1
                }
            };
            if !st.pending_tables.contains(&index) {
                st.pending_tables.push(index);
            }
            Ok(())
        })?;
        Ok(Table { name, columns })
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The table's columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Queue a row: one value per column, in column order, each of the
    /// column's type or [`Value::Null`].
    pub fn insert(&self, values: &[Value]) -> Result<(), String> {
        if values.len() != self.columns.len() {
            return Err(format!(
                "table '{}' has {} columns but the row has {} values",
                self.name,
                self.columns.len(),
                values.len()
            ));
        }
        let mut row = String::new();
        row.push_str("{\"table_name\":");
        json::push_str(&mut row, &self.name);
        row.push_str(",\"values\":[");
        for (i, (v, c)) in values.iter().zip(&self.columns).enumerate() {
            if !v.fits(c.data_type) {
                return Err(format!(
                    "table '{}' column '{}' is {} but the value is {:?}",
                    self.name,
                    c.name,
                    c.data_type.as_str(),
                    v
                ));
            }
            if i > 0 {
                row.push(',');
            }
            json::push_value(&mut row, v).map_err(|e| format!("table '{}' column '{}': {}", self.name, c.name, e))?;
        }
        row.push_str("]}");
        STATE.with(|st| {
            let mut st = st.borrow_mut();
            if !st.rows.is_empty() {
                st.rows.push(',');
            }
            st.rows.push_str(&row);
        });
        Ok(())
    }

    /// The same as the free function [`flush`].
    pub fn flush() -> Result<(), String> {
        flush()
    }
}

/// Builds a [`Table`]: `TableBuilder::new("t").column("n", DataType::Int64).build()`.
#[derive(Clone, Debug)]
pub struct TableBuilder {
    name: String,
    columns: Vec<Column>,
}

impl TableBuilder {
    pub fn new(name: impl Into<String>) -> Self {
        TableBuilder { name: name.into(), columns: Vec::new() }
    }

    /// Add a column (any string: `&'static str`, `String`, `&str`).
    pub fn column(mut self, name: impl Into<String>, data_type: DataType) -> Self {
        self.columns.push(Column { name: name.into(), data_type });
        self
    }

    /// Define the table (see [`Table::define`]).
    pub fn build(self) -> Result<Table, String> {
        Table::define_columns(self.name, self.columns)
    }
}

/// Write the queued table definitions and rows to a new file
/// `/metadata/rust_<n>.json` and close it, which hands it to wadup. Does
/// nothing when nothing is queued. The queue is emptied either way.
pub fn flush() -> Result<(), String> {
    let (doc, n) = STATE.with(|st| {
        let mut st = st.borrow_mut();
        if st.pending_tables.is_empty() && st.rows.is_empty() {
            return (None, 0);
        }
        let mut doc = String::from("{\"tables\":[");
        for (k, &i) in st.pending_tables.iter().enumerate() {
            let (name, columns) = &st.defined[i];
            if k > 0 {
                doc.push(',');
            }
            doc.push_str("{\"name\":");
            json::push_str(&mut doc, name);
            doc.push_str(",\"columns\":[");
            for (j, c) in columns.iter().enumerate() {
                if j > 0 {
                    doc.push(',');
                }
                doc.push_str("{\"name\":");
                json::push_str(&mut doc, &c.name);
                doc.push_str(",\"data_type\":\"");
                doc.push_str(c.data_type.as_str());
                doc.push_str("\"}");
            }
            doc.push_str("]}");
        }
        doc.push_str("],\"rows\":[");
        doc.push_str(&st.rows);
        doc.push_str("]}");
        st.pending_tables.clear();
        st.rows.clear();
        st.files += 1;
        (Some(doc), st.files)
    });
    let doc = match doc {
        Some(d) => d,
        None => return Ok(()),
    };
    let path = format!("/metadata/rust_{}.json", n);
    let mut f = std::fs::File::create(&path).map_err(|e| format!("cannot create {}: {}", path, e))?;
    f.write_all(doc.as_bytes()).map_err(|e| format!("cannot write {}: {}", path, e))?;
    drop(f); // closing the file hands it to wadup
    Ok(())
}
