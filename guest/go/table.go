// table.go — table definitions, rows and Flush: what a module queues here
// is written to one /metadata/go_<n>.json file per Flush, which wadup
// parses when the file is closed (docs/module-abi.md, "Metadata").

package wadup

import (
	"errors"
	"os"
	"strconv"
	"sync"
)

// Limits wadup enforces on definitions (docs/module-abi.md).
const (
	maxNameLen = 64
	maxColumns = 1000
)

// Table is a defined table; rows are inserted with InsertRow.
type Table struct {
	name    string
	columns []Column
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

// Columns returns a copy of the table's columns.
func (t *Table) Columns() []Column { return append([]Column(nil), t.columns...) }

type rowDef struct {
	table  string
	values []Value
}

var (
	mu        sync.Mutex
	defined   = map[string][]Column{} // every table this instance defined (columns are checked against it)
	queuedDef []*Table                // definitions not yet flushed
	queuedRow []rowDef                // rows not yet flushed
	fileCount int                     // /metadata/go_<n>.json files written
)

// validName: wadup's rule for table and column names.
func validName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func sameColumns(a, b []Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// DefineTable defines a table and queues its definition for the next
// Flush. Names match [A-Za-z_][A-Za-z0-9_]* (at most 64 bytes), a table
// has 1 to 1000 columns with unique names and valid types. Defining a
// table again with the same columns returns it again; with other columns
// it is an error (wadup would reject the file).
func DefineTable(name string, columns []Column) (*Table, error) {
	if !validName(name) {
		return nil, errors.New("wadup: invalid table name " + strconv.Quote(name) +
			" (want [A-Za-z_][A-Za-z0-9_]*, at most 64 bytes)")
	}
	if len(columns) == 0 || len(columns) > maxColumns {
		return nil, errors.New("wadup: table " + name + ": needs 1 to 1000 columns, got " + strconv.Itoa(len(columns)))
	}
	seen := make(map[string]bool, len(columns))
	for _, c := range columns {
		if !validName(c.Name) {
			return nil, errors.New("wadup: table " + name + ": invalid column name " + strconv.Quote(c.Name))
		}
		if seen[c.Name] {
			return nil, errors.New("wadup: table " + name + ": duplicate column " + c.Name)
		}
		seen[c.Name] = true
		if !c.DataType.valid() {
			return nil, errors.New("wadup: table " + name + " column " + c.Name + ": unknown data type " +
				strconv.Quote(string(c.DataType)))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if prev, ok := defined[name]; ok {
		if !sameColumns(prev, columns) {
			return nil, errors.New("wadup: table " + name + " is already defined with other columns")
		}
		t := &Table{name: name, columns: prev}
		queueDefinition(t)
		return t, nil
	}
	t := &Table{name: name, columns: append([]Column(nil), columns...)}
	defined[name] = t.columns
	queueDefinition(t)
	return t, nil
}

// queueDefinition queues t's definition unless the pending batch has it:
// a table defined again (in a later content of a reused instance) is sent
// again, which wadup accepts, so a batch never depends on an earlier one
// having reached wadup. Called with mu held.
func queueDefinition(t *Table) {
	for _, q := range queuedDef {
		if q.name == t.name {
			return
		}
	}
	queuedDef = append(queuedDef, t)
}

// InsertRow queues a row: one value per column, each of the column's type
// or Null.
func (t *Table) InsertRow(values []Value) error {
	if len(values) != len(t.columns) {
		return errors.New("wadup: table " + t.name + ": " + strconv.Itoa(len(values)) + " values for " +
			strconv.Itoa(len(t.columns)) + " columns")
	}
	for i, v := range values {
		if err := v.check(t.columns[i].DataType); err != nil {
			return errors.New("wadup: table " + t.name + " column " + t.columns[i].Name + ": " + err.Error())
		}
	}
	mu.Lock()
	queuedRow = append(queuedRow, rowDef{t.name, append([]Value(nil), values...)})
	mu.Unlock()
	return nil
}

// TableBuilder builds a table definition column by column.
type TableBuilder struct {
	name    string
	columns []Column
}

// NewTableBuilder starts the definition of table name.
func NewTableBuilder(name string) *TableBuilder { return &TableBuilder{name: name} }

// Column adds a column.
func (b *TableBuilder) Column(name string, dataType DataType) *TableBuilder {
	b.columns = append(b.columns, Column{Name: name, DataType: dataType})
	return b
}

// Build defines the table (DefineTable).
func (b *TableBuilder) Build() (*Table, error) { return DefineTable(b.name, b.columns) }

// encodeQueued: the queued definitions and rows as one metadata file.
func encodeQueued() []byte {
	b := append([]byte(nil), `{"tables":[`...)
	for i, t := range queuedDef {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, t.name)
		b = append(b, `,"columns":[`...)
		for j, c := range t.columns {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, c.Name)
			b = append(b, `,"data_type":`...)
			b = appendString(b, string(c.DataType))
			b = append(b, '}')
		}
		b = append(b, "]}"...)
	}
	b = append(b, `],"rows":[`...)
	for i, r := range queuedRow {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"table_name":`...)
		b = appendString(b, r.table)
		b = append(b, `,"values":[`...)
		for j, v := range r.values {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, v)
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}\n"...)
}

// writeClosed writes data to a new file at path and closes it (the close
// is what hands the file to wadup).
func writeClosed(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Flush writes the queued definitions and rows to /metadata/go_<n>.json
// and closes it, which hands them to wadup. Nothing to write: nothing
// happens. On an error the data stays queued. Main and Run flush after a
// successful run; a reactor's exported process must call Flush itself.
func Flush() error {
	mu.Lock()
	defer mu.Unlock()
	if len(queuedDef) == 0 && len(queuedRow) == 0 {
		return nil
	}
	path := "/metadata/go_" + strconv.Itoa(fileCount) + ".json"
	fileCount++
	if err := writeClosed(path, encodeQueued()); err != nil {
		return errors.New("wadup: writing " + path + ": " + err.Error())
	}
	queuedDef, queuedRow = nil, nil
	return nil
}

// forgetQueued drops what is queued (Run does after a failed run, so a
// reused reactor instance does not carry it into the next content).
func forgetQueued() {
	mu.Lock()
	queuedDef, queuedRow = nil, nil
	mu.Unlock()
}
