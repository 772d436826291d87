// types.go — column types and values (the original WADUP's DataType,
// Column and Value, plus Boolean and Null).

package wadup

import (
	"errors"
	"math"
)

// DataType is a column's type; its value is the name wadup's metadata
// format uses ("Int64", ...).
type DataType string

// The column types.
const (
	Int64   DataType = "Int64"
	Float64 DataType = "Float64"
	String  DataType = "String"
	Boolean DataType = "Boolean"
)

// valid reports whether t is one of the four column types.
func (t DataType) valid() bool {
	return t == Int64 || t == Float64 || t == String || t == Boolean
}

// Column is one column of a table definition.
type Column struct {
	Name     string   `json:"name"`
	DataType DataType `json:"data_type"`
}

// Value is one cell of a row: an Int64, Float64, String or Boolean value,
// or Null (valid in a column of any type). The zero Value is Null.
type Value struct {
	kind DataType // "" for Null
	i    int64
	f    float64
	s    string
	b    bool
}

// NewInt64 returns an Int64 value.
func NewInt64(v int64) Value { return Value{kind: Int64, i: v} }

// NewFloat64 returns a Float64 value. NaN and infinities cannot be
// stored (JSON has no literal for them): InsertRow refuses them.
func NewFloat64(v float64) Value { return Value{kind: Float64, f: v} }

// NewString returns a String value. It may hold any bytes: invalid UTF-8
// is written as U+FFFD, NUL bytes are kept.
func NewString(v string) Value { return Value{kind: String, s: v} }

// NewBoolean returns a Boolean value.
func NewBoolean(v bool) Value { return Value{kind: Boolean, b: v} }

// Null returns the null value.
func Null() Value { return Value{} }

// IsNull reports whether v is Null.
func (v Value) IsNull() bool { return v.kind == "" }

// Type returns v's column type, "" for Null.
func (v Value) Type() DataType { return v.kind }

var errNotFinite = errors.New("wadup: a Float64 value must be finite (NaN and infinities have no JSON form)")

// check: nil when v can be written to a column of type t.
func (v Value) check(t DataType) error {
	if v.kind == "" {
		return nil
	}
	if v.kind != t {
		return errors.New("expected " + string(t) + ", got " + string(v.kind))
	}
	if v.kind == Float64 && (math.IsNaN(v.f) || math.IsInf(v.f, 0)) {
		return errNotFinite
	}
	return nil
}

// MarshalJSON returns v in wadup's tagged form ({"Int64": 42},
// {"String": "x"}, null), as the original's Value did; it satisfies
// encoding/json's Marshaler without importing encoding/json.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.kind == Float64 && (math.IsNaN(v.f) || math.IsInf(v.f, 0)) {
		return nil, errNotFinite
	}
	return appendValue(nil, v), nil
}
