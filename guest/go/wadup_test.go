// wadup_test.go — host-side tests of the SDK's checks and JSON (go test,
// natively; the wasm side is tested end to end by tests/e2e/test_go.py).

package wadup

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func reset() {
	defined = map[string][]Column{}
	queuedDef, queuedRow = nil, nil
}

func TestAppendString(t *testing.T) {
	cases := map[string]string{
		"plain":       `"plain"`,
		"q\"b\\":      `"q\"b\\"`,
		"\n\r\t\x00":  `"\n\r\t\u0000"`,
		"\x1f\x7f":    `"\u001f\u007f"`,
		"é€😀":         `"é€😀"`,
		"bad\xffutf8": `"bad` + "\ufffd" + `utf8"`,
		"\xe2\x82":    `"` + "\ufffd\ufffd" + `"`,
	}
	for in, want := range cases {
		got := string(appendString(nil, in))
		if got != want {
			t.Errorf("appendString(%q) = %s, want %s", in, got, want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("appendString(%q) = %s: not JSON: %v", in, got, err)
		}
	}
}

func TestValues(t *testing.T) {
	cases := []struct {
		v    Value
		want string
	}{
		{NewInt64(-9223372036854775808), `{"Int64":-9223372036854775808}`},
		{NewFloat64(0.1), `{"Float64":0.1}`},
		{NewFloat64(1e300), `{"Float64":1e+300}`},
		{NewFloat64(3), `{"Float64":3}`},
		{NewString("x"), `{"String":"x"}`},
		{NewBoolean(true), `{"Boolean":true}`},
		{Null(), `null`},
		{Value{}, `null`},
	}
	for _, c := range cases {
		got, err := c.v.MarshalJSON()
		if err != nil || string(got) != c.want {
			t.Errorf("MarshalJSON = %s, %v; want %s", got, err, c.want)
		}
	}
	if _, err := NewFloat64(math.NaN()).MarshalJSON(); err == nil {
		t.Error("NaN marshalled")
	}
}

func TestDefineAndInsert(t *testing.T) {
	reset()
	for _, bad := range []string{"", "1x", "a-b", strings.Repeat("a", 65), "é"} {
		if _, err := DefineTable(bad, []Column{{"c", Int64}}); err == nil {
			t.Errorf("table name %q accepted", bad)
		}
	}
	if _, err := DefineTable("t", nil); err == nil {
		t.Error("no columns accepted")
	}
	if _, err := DefineTable("t", []Column{{"a", Int64}, {"a", String}}); err == nil {
		t.Error("duplicate column accepted")
	}
	if _, err := DefineTable("t", []Column{{"a", "Int32"}}); err == nil {
		t.Error("bad type accepted")
	}
	tb, err := NewTableBuilder("t").Column("n", Int64).Column("s", String).Column("f", Float64).
		Column("b", Boolean).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DefineTable("t", []Column{{"n", Int64}}); err == nil {
		t.Error("redefinition with other columns accepted")
	}
	if _, err := DefineTable("t", tb.Columns()); err != nil {
		t.Errorf("identical redefinition refused: %v", err)
	}
	if err := tb.InsertRow([]Value{NewInt64(1)}); err == nil {
		t.Error("short row accepted")
	}
	if err := tb.InsertRow([]Value{NewString("x"), Null(), Null(), Null()}); err == nil {
		t.Error("String in Int64 column accepted")
	}
	if err := tb.InsertRow([]Value{Null(), Null(), NewFloat64(math.Inf(1)), Null()}); err == nil {
		t.Error("infinity accepted")
	}
	if err := tb.InsertRow([]Value{NewInt64(7), NewString("a\"b"), NewFloat64(2.5), NewBoolean(false)}); err != nil {
		t.Fatal(err)
	}
	if err := tb.InsertRow([]Value{Null(), Null(), Null(), Null()}); err != nil {
		t.Fatal(err)
	}
	got := string(encodeQueued())
	want := `{"tables":[{"name":"t","columns":[{"name":"n","data_type":"Int64"},{"name":"s","data_type":"String"},` +
		`{"name":"f","data_type":"Float64"},{"name":"b","data_type":"Boolean"}]}],"rows":[` +
		`{"table_name":"t","values":[{"Int64":7},{"String":"a\"b"},{"Float64":2.5},{"Boolean":false}]},` +
		`{"table_name":"t","values":[null,null,null,null]}]}` + "\n"
	if got != want {
		t.Errorf("encodeQueued =\n%s\nwant\n%s", got, want)
	}
	var parsed map[string]any
	if err := json.Unmarshal([]byte(got), &parsed); err != nil {
		t.Errorf("not JSON: %v", err)
	}
	// A definition is queued once per batch, and again in a later batch.
	forgetQueued()
	if _, err := DefineTable("t", tb.Columns()); err != nil {
		t.Fatal(err)
	}
	if _, err := DefineTable("t", tb.Columns()); err != nil {
		t.Fatal(err)
	}
	if len(queuedDef) != 1 {
		t.Errorf("%d definitions queued, want 1", len(queuedDef))
	}
}
