package engine

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/opensafely-core/osls/analysis/qm"
)

// FileValidationError is a problem with a dummy table or dummy data file (ehrQL's exit
// status 11).
type FileValidationError struct{ Msg string }

func (e *FileValidationError) Error() string { return "FileValidationError: " + e.Msg }

func validationErr(format string, args ...any) error {
	return &FileValidationError{Msg: fmt.Sprintf(format, args...)}
}

// pyRepr quotes a string as Python's repr does (single quotes unless the text has one).
func pyRepr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pyDigits strips the underscores Python allows between digits; ok is false when they are
// misplaced.
func pyDigits(s string) (string, bool) {
	if !strings.Contains(s, "_") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			if i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1]) {
				return "", false
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// ParseInt reads an int as Python's int() does.
func ParseInt(s string) (int64, bool) {
	t, ok := pyDigits(strings.TrimSpace(s))
	if !ok || t == "" {
		return 0, false
	}
	body := strings.TrimLeft(t, "+-")
	if len(t)-len(body) > 1 || body == "" {
		return 0, false
	}
	for i := 0; i < len(body); i++ {
		if !isDigit(body[i]) {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	return n, err == nil
}

// ParseFloat reads a float as Python's float() does.
func ParseFloat(s string) (float64, bool) {
	t, ok := pyDigits(strings.TrimSpace(s))
	if !ok || t == "" {
		return 0, false
	}
	low := strings.ToLower(strings.TrimLeft(t, "+-"))
	switch low {
	case "nan":
		return math.NaN(), true
	case "inf", "infinity":
	default:
		for i := 0; i < len(low); i++ {
			c := low[i]
			if !isDigit(c) && c != '.' && c != 'e' && c != '+' && c != '-' {
				return 0, false
			}
		}
		if strings.HasPrefix(low, "0x") {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// ParseISODate reads a date as Python's date.fromisoformat does for calendar dates
// (YYYY-MM-DD or YYYYMMDD).
func ParseISODate(s string) (qm.Date, bool) {
	var y, m, d string
	switch {
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		y, m, d = s[:4], s[5:7], s[8:]
	case len(s) == 8:
		y, m, d = s[:4], s[4:6], s[6:]
	default:
		return qm.Date{}, false
	}
	for _, part := range []string{y, m, d} {
		for i := 0; i < len(part); i++ {
			if !isDigit(part[i]) {
				return qm.Date{}, false
			}
		}
	}
	yy, _ := strconv.Atoi(y)
	mm, _ := strconv.Atoi(m)
	dd, _ := strconv.Atoi(d)
	if !qm.ValidDate(yy, mm, dd) {
		return qm.Date{}, false
	}
	return qm.Date{Year: yy, Month: mm, Day: dd}, true
}

// ParseCell converts one CSV cell to a value of type t; "" is NULL.
func ParseCell(s string, t qm.Type) (Val, error) {
	if s == "" {
		return Null, nil
	}
	switch t.Kind {
	case qm.Int:
		n, ok := ParseInt(s)
		if !ok {
			return Null, fmt.Errorf("invalid literal for int() with base 10: %s", pyRepr(s))
		}
		return Int(n), nil
	case qm.Float:
		f, ok := ParseFloat(s)
		if !ok {
			return Null, fmt.Errorf("could not convert string to float: %s", pyRepr(s))
		}
		return Float(f), nil
	case qm.Bool:
		switch s {
		case "T":
			return Bool(true), nil
		case "F":
			return Bool(false), nil
		}
		return Null, fmt.Errorf("invalid boolean %s: use T or F", pyRepr(s))
	case qm.DateKind:
		d, ok := ParseISODate(s)
		if !ok {
			return Null, fmt.Errorf("Invalid isoformat string: %s", pyRepr(s))
		}
		return DateVal(d), nil
	}
	return Str(s), nil
}

// categoriesText lists valid categories as ehrQL's message does.
func categoriesText(c qm.Column) string {
	parts := make([]string, len(c.Categories))
	for i, v := range c.Categories {
		if c.Type.Kind == qm.Str || c.Type.Kind == qm.Code || c.Type.Kind == qm.MultiCode {
			parts[i] = pyRepr(v)
		} else {
			parts[i] = v
		}
	}
	return strings.Join(parts, ", ")
}

func inCategories(v Val, c qm.Column) bool {
	if v.K == KNull || len(c.Categories) == 0 {
		return true
	}
	txt := v.Text()
	if v.K == KBool {
		txt = map[bool]string{true: "True", false: "False"}[v.I != 0]
	}
	for _, cat := range c.Categories {
		if cat == txt {
			return true
		}
	}
	return false
}

// Table is a source table read from a file: rows with their patient ids, in file order.
type Table struct {
	Schema *TableSchema
	IDs    []int64
	Rows   []Row
}

// ReadTableCSV reads a dummy table in CSV (gzipped when gz) with ehrQL's rules: header
// required with patient_id, schema columns may be omitted (NULL), extra columns ignored,
// categories checked. name is the path used in messages.
func ReadTableCSV(r io.Reader, name string, ts *TableSchema) (*Table, error) {
	rr, err := newCSVRows(r, name, ts)
	if err != nil {
		return nil, err
	}
	t := &Table{Schema: ts}
	for {
		id, row, ok, err := rr.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return t, nil
		}
		t.IDs = append(t.IDs, id)
		t.Rows = append(t.Rows, row)
	}
}

// csvRows reads a dummy table's CSV one row at a time, with ReadTableCSV's checks.
type csvRows struct {
	cr     *csv.Reader
	name   string
	ts     *TableSchema
	header []string
	pidCol int
	colOf  []int
	rowNum int
}

func newCSVRows(r io.Reader, name string, ts *TableSchema) (*csvRows, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, validationErr("%s: the file is empty (it needs a header row with patient_id)", pyRepr(name))
	}
	if err != nil {
		return nil, validationErr("%s: %v", pyRepr(name), err)
	}
	header = append([]string(nil), header...)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	pidCol := -1
	colOf := make([]int, len(ts.Columns))
	for i := range colOf {
		colOf[i] = -1
	}
	for i, h := range header {
		if h == "patient_id" {
			pidCol = i
			continue
		}
		if j := ts.ColumnIndex(h); j >= 0 {
			colOf[j] = i
		}
	}
	if pidCol < 0 && !ts.NoPatient {
		return nil, validationErr("%s: missing column 'patient_id'", pyRepr(name))
	}
	return &csvRows{cr: cr, name: name, ts: ts, header: header, pidCol: pidCol, colOf: colOf}, nil
}

// next returns the next row; ok is false at the end of the file.
func (c *csvRows) next() (id int64, row Row, ok bool, err error) {
	rec, err := c.cr.Read()
	if err == io.EOF {
		return 0, nil, false, nil
	}
	c.rowNum++
	name, rowNum := c.name, c.rowNum
	if err != nil {
		return 0, nil, false, validationErr("%s, row %d: %v", pyRepr(name), rowNum, err)
	}
	if len(rec) != len(c.header) {
		return 0, nil, false, validationErr("%s, row %d: expected %d values (one per header column) but found %d", pyRepr(name), rowNum, len(c.header), len(rec))
	}
	if c.pidCol >= 0 && !c.ts.NoPatient {
		var good bool
		id, good = ParseInt(rec[c.pidCol])
		if !good {
			return 0, nil, false, validationErr("%s, row %d: column 'patient_id': invalid literal for int() with base 10: %s", pyRepr(name), rowNum, pyRepr(rec[c.pidCol]))
		}
	}
	row = make(Row, len(c.ts.Columns))
	for j, col := range c.ts.Columns {
		if c.colOf[j] < 0 {
			continue
		}
		v, err := ParseCell(rec[c.colOf[j]], col.Type)
		if err != nil {
			return 0, nil, false, validationErr("%s, row %d: column %s: %v", pyRepr(name), rowNum, pyRepr(col.Name), err)
		}
		if !inCategories(v, col) {
			return 0, nil, false, validationErr("%s, row %d: column %s: %s not in valid categories: %s", pyRepr(name), rowNum, pyRepr(col.Name), pyRepr(rec[c.colOf[j]]), categoriesText(col))
		}
		row[j] = v
	}
	return id, row, true, nil
}

// ReadTableFile reads one table file (.csv, .csv.gz or .arrow).
func ReadTableFile(path, display string, ts *TableSchema) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, validationErr("Missing file: %s", display)
		}
		return nil, validationErr("%s: %v", pyRepr(display), err)
	}
	defer f.Close()
	switch FormatOf(path) {
	case "csv.gz":
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, validationErr("%s: %v", pyRepr(display), err)
		}
		return ReadTableCSV(gz, display, ts)
	case "arrow":
		return readTableArrow(f, display, ts)
	}
	return ReadTableCSV(f, display, ts)
}

// dirFormat finds the one data format used in a dummy-tables folder.
func dirFormat(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", validationErr("cannot read the dummy tables folder %s: %v", dir, err)
	}
	seen := map[string]bool{}
	for _, e := range ents {
		if f := FormatOf(e.Name()); f != "" && !e.IsDir() {
			seen[f] = true
		}
	}
	var fs []string
	for f := range seen {
		fs = append(fs, f)
	}
	sort.Strings(fs)
	switch len(fs) {
	case 0:
		return "csv", nil
	case 1:
		return fs[0], nil
	}
	return "", validationErr("Found multiple file formats in %s: %s (use one)", dir, strings.Join(fs, ", "))
}

// TablesSource yields the dummy tables a program reads one patient at a time, in ascending
// patient_id order. Tables sorted by patient_id (as ehrQL writes them) are streamed, so
// memory grows with one patient's rows; a CSV table that is not sorted, and any Arrow
// table, is loaded into memory and sorted (see Notes). Close releases the files.
type TablesSource struct {
	curs  []rowCursor
	err   error
	Notes []string
}

// rowCursor is one table's rows in patient_id order: head is the current row.
type rowCursor interface {
	head() (id int64, row Row, ok bool)
	advance() error
	close()
}

// sliceCursor walks a table held in memory, sorted by patient_id.
type sliceCursor struct {
	t *Table
	i int
}

func (c *sliceCursor) head() (int64, Row, bool) {
	if c.i >= len(c.t.IDs) {
		return 0, nil, false
	}
	return c.t.IDs[c.i], c.t.Rows[c.i], true
}
func (c *sliceCursor) advance() error { c.i++; return nil }
func (c *sliceCursor) close()         {}

// streamCursor reads a CSV table sorted by patient_id from its file.
type streamCursor struct {
	f   *os.File
	r   *csvRows
	id  int64
	row Row
	ok  bool
}

func (c *streamCursor) head() (int64, Row, bool) { return c.id, c.row, c.ok }
func (c *streamCursor) advance() error {
	var err error
	c.id, c.row, c.ok, err = c.r.next()
	return err
}
func (c *streamCursor) close() { c.f.Close() }

// openCSVRows opens a .csv or .csv.gz table for reading row by row.
func openCSVRows(path, display string, ts *TableSchema) (*os.File, *csvRows, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, validationErr("Missing file: %s", display)
		}
		return nil, nil, validationErr("%s: %v", pyRepr(display), err)
	}
	var r io.Reader = f
	if FormatOf(path) == "csv.gz" {
		gz, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, nil, validationErr("%s: %v", pyRepr(display), err)
		}
		r = gz
	}
	rr, err := newCSVRows(r, display, ts)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, rr, nil
}

// checkCSVTable validates every row of a CSV table without keeping them, and reports
// whether its rows are in ascending patient_id order.
func checkCSVTable(path, display string, ts *TableSchema) (sorted bool, err error) {
	f, rr, err := openCSVRows(path, display, ts)
	if err != nil {
		return false, err
	}
	defer f.Close()
	sorted = true
	prev, first := int64(0), true
	for {
		id, _, ok, err := rr.next()
		if err != nil {
			return false, err
		}
		if !ok {
			return sorted, nil
		}
		if !first && id < prev {
			sorted = false
		}
		prev, first = id, false
	}
}

// LoadDummyTables opens every table the program uses in dir (ehrQL's --dummy-tables), and
// the files behind table_from_file tables, relative to workDir. Every file is validated
// first, in table order, so errors are those of reading the whole tables; the rows are
// then streamed by patient.
func LoadDummyTables(p *Program, dir, workDir string) (*TablesSource, error) {
	format := "csv"
	if dir != "" {
		var err error
		if format, err = dirFormat(abs(workDir, dir)); err != nil {
			return nil, err
		}
	}
	type file struct{ path, display string }
	files := make([]file, len(p.Tables))
	sorted := make([]bool, len(p.Tables))
	loaded := make([]*Table, len(p.Tables))
	for ti, ts := range p.Tables {
		var display string
		if ts.Inline != nil {
			display = ts.Inline.Path
		} else {
			display = filepath.ToSlash(filepath.Join(dir, ts.Name+"."+format))
		}
		files[ti] = file{abs(workDir, display), display}
		switch FormatOf(files[ti].path) {
		case "csv", "csv.gz":
			ok, err := checkCSVTable(files[ti].path, display, ts)
			if err != nil {
				return nil, err
			}
			sorted[ti] = ok
		default:
			// Arrow: loaded whole (and so validated) now.
			t, err := ReadTableFile(files[ti].path, display, ts)
			if err != nil {
				return nil, err
			}
			loaded[ti] = t
		}
	}
	src := &TablesSource{}
	for ti, ts := range p.Tables {
		f := files[ti]
		if sorted[ti] {
			fh, rr, err := openCSVRows(f.path, f.display, ts)
			if err == nil {
				c := &streamCursor{f: fh, r: rr}
				if err = c.advance(); err != nil {
					c.close()
				} else {
					src.curs = append(src.curs, c)
					continue
				}
			}
			src.Close()
			return nil, err
		}
		t := loaded[ti]
		if t == nil {
			var err error
			if t, err = ReadTableFile(f.path, f.display, ts); err != nil {
				src.Close()
				return nil, err
			}
			src.Notes = append(src.Notes, fmt.Sprintf("%s is not sorted by patient_id, so it was read into memory; sort it to stream it", f.display))
		}
		idx := make([]int, len(t.IDs))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return t.IDs[idx[a]] < t.IDs[idx[b]] })
		st := &Table{Schema: ts, IDs: make([]int64, len(idx)), Rows: make([]Row, len(idx))}
		for i, k := range idx {
			st.IDs[i], st.Rows[i] = t.IDs[k], t.Rows[k]
		}
		src.curs = append(src.curs, &sliceCursor{t: st})
	}
	return src, nil
}

// Next returns the next patient in ascending patient_id order: its rows of every table.
func (s *TablesSource) Next() (*PatientRows, bool) {
	if s.err != nil {
		return nil, false
	}
	var minID int64
	found := false
	for _, c := range s.curs {
		if id, _, ok := c.head(); ok && (!found || id < minID) {
			minID, found = id, true
		}
	}
	if !found {
		return nil, false
	}
	pr := &PatientRows{ID: minID, Tables: make([][]Row, len(s.curs))}
	for ti, c := range s.curs {
		for {
			id, row, ok := c.head()
			if !ok || id != minID {
				break
			}
			pr.Tables[ti] = append(pr.Tables[ti], row)
			if err := c.advance(); err != nil {
				s.err = err
				return nil, false
			}
		}
	}
	return pr, true
}

// Err is the error that ended Next early (a file that changed after it was validated).
func (s *TablesSource) Err() error { return s.err }

// Close closes the files being streamed.
func (s *TablesSource) Close() {
	for _, c := range s.curs {
		c.close()
	}
}

func abs(workDir, p string) string {
	if filepath.IsAbs(p) || workDir == "" {
		return p
	}
	return filepath.Join(workDir, p)
}

// FileColumns reads the header of a dataset file.
func FileColumns(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	switch FormatOf(path) {
	case "csv.gz":
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = gz
	case "arrow":
		return arrowColumns(f)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	h, err := cr.Read()
	if err == io.EOF {
		return nil, nil
	}
	if len(h) > 0 {
		h[0] = strings.TrimPrefix(h[0], "\ufeff")
	}
	return h, err
}
