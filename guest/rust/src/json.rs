//! json.rs — the little JSON wadup's files need: strings and values.

use crate::types::Value;
use std::fmt::Write;

/// Append `s` as a JSON string literal.
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Append a value in wadup's externally tagged form (`{"Int64": 5}`,
/// `null`). A non-finite float is an error (JSON has no such number).
pub(crate) fn push_value(out: &mut String, v: &Value) -> Result<(), String> {
    match v {
        Value::Int64(n) => {
            let _ = write!(out, "{{\"Int64\":{}}}", n);
        }
        Value::Float64(x) => {
            if !x.is_finite() {
                return Err(format!("Float64 value {} is not finite", x));
            }
            let _ = write!(out, "{{\"Float64\":{:?}}}", x);
        }
        Value::String(s) => {
            out.push_str("{\"String\":");
            push_str(out, s);
            out.push('}');
        }
        Value::Boolean(b) => {
            let _ = write!(out, "{{\"Boolean\":{}}}", b);
        }
        Value::Null => out.push_str("null"),
    }
    Ok(())
}
