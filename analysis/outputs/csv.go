package outputs

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/opensafely-core/osls/analysis"
)

// Bounds on what one CSV check keeps in memory.
const (
	maxColumns    = 4096            // columns tracked; further ones are not checked
	maxTableCells = 250_000         // cells kept for the totals check
	maxTableBytes = 4 * 1024 * 1024 // bytes of cell text kept for the totals check
	maxTokens     = 5               // distinct unrecognised markers remembered per column
)

// cellPos is where a cell starts in the file.
type cellPos struct {
	off       int64
	line, col int32
	width     int32
}

// capped keeps the first few findings of one kind and counts the rest.
type capped struct {
	n     int
	first []Finding
}

// want counts one more occurrence and reports whether its finding should be kept.
func (c *capped) want() bool {
	c.n++
	return len(c.first) < maxPerColumnRule
}

// emit returns the kept findings with code c (and severity sev), noting any left out.
func (c *capped) emit(code analysis.Code, sev analysis.Severity, suffix string) []Finding {
	out := make([]Finding, len(c.first))
	for i, f := range c.first {
		f.Code, f.Severity = code.ID, sev
		f.Message += suffix
		out[i] = f
	}
	if extra := c.n - len(c.first); extra > 0 && len(out) > 0 {
		out[len(out)-1].Message += fmt.Sprintf(" (and %d more in this column)", extra)
	}
	return out
}

// column is what the check learns about one column while streaming.
type column struct {
	name    string // display name (Latin-1 decoded if need be)
	pos     cellPos
	verdict nameVerdict

	cfgDecided, cfgCount bool
	rounding             Rounding // declared by settings or name

	numeric, missing, redacted, redactionLike, otherText int
	fractional, negative, nonzero, yearish, whole        int
	max                                                  float64

	small, not5, notM6, not6 capped
	tokens                   []Finding // first occurrence of each unrecognised marker
	tokenCount               []int     // occurrences of each
	tokenSeen                map[string]int
}

// csvCheck holds the state of one streaming CSV check.
type csvCheck struct {
	rep  *FileReport
	fr   fileRules
	cr   *countingReader
	r    *csv.Reader
	cols []*column

	rows        int
	overLimit   *cellPos // the first row beyond MaxCSVRows
	ragged      int
	raggedFirst Finding
	badUTF8     *Finding

	table      []tableRow // kept while small enough
	tableCells int
	tableBytes int
	tableOff   bool
}

type tableRow struct {
	row    int
	fields []string
	pos    []cellPos
}

func checkCSV(rep *FileReport, cr *countingReader, fr fileRules) {
	cr.maxLine = maxLineBytes
	br := bufio.NewReaderSize(cr, 64*1024)
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		cr.bom = 3
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		rep.Findings = append(rep.Findings, fileFinding(rep.Path, analysis.CodeSDCEncoding,
			"the file is UTF-16: Airlock and the checks expect UTF-8 — write it with encoding=\"utf-8\"; its contents were not checked"))
		_, _ = io.Copy(io.Discard, br)
		return
	}
	c := &csvCheck{rep: rep, fr: fr, cr: cr}
	c.r = csv.NewReader(br)
	c.r.FieldsPerRecord = -1
	c.r.LazyQuotes = true
	c.r.ReuseRecord = true

	if err := c.readHeader(); err != nil {
		c.unreadable(err)
		return
	}
	for {
		rec, err := c.r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			c.unreadable(err)
			break
		}
		c.row(rec)
	}
	_, _ = io.Copy(io.Discard, br) // count the bytes of a file cut short
	c.finish()
}

// unreadable reports why reading stopped.
func (c *csvCheck) unreadable(err error) {
	msg := fmt.Sprintf("could not read the CSV: %v; the checks stopped here", err)
	f := fileFinding(c.rep.Path, analysis.CodeSDCUnreadable, msg)
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		f.Line = pe.Line
		f.Offset, f.Col = c.cr.pos(pe.Line, pe.Column)
		f.Row = c.rows + 1
	}
	if errors.Is(err, errLineTooLong) {
		f.Message = fmt.Sprintf("could not read the CSV: it has %v; the checks stopped here", errLineTooLong)
	}
	c.rep.Findings = append(c.rep.Findings, f)
}

func (c *csvCheck) pos(i int, value string) cellPos {
	line, col := c.r.FieldPos(i)
	off, fcol := c.cr.pos(line, col)
	w := len(value)
	if k := strings.IndexAny(value, "\r\n"); k >= 0 {
		w = k
	}
	return cellPos{off: off, line: int32(line), col: int32(fcol), width: int32(w)}
}

func (c *csvCheck) at(p cellPos, row int, colName string, code analysis.Code, msg string) Finding {
	return Finding{File: c.rep.Path, Code: code.ID, Severity: code.Severity, Message: msg, Row: row, Column: colName,
		Offset: p.off, Line: int(p.line), Col: int(p.col), Width: int(p.width)}
}

func (c *csvCheck) readHeader() error {
	rec, err := c.r.Read()
	if err == io.EOF {
		return errors.New("the file is empty (no header row)")
	}
	if err != nil {
		return err
	}
	line, _ := c.r.FieldPos(0)
	c.cr.forget(line)
	n := min(len(rec), maxColumns)
	for i := 0; i < n; i++ {
		raw := rec[i]
		p := c.pos(i, raw)
		c.checkEncoding(raw, p, 0, latin1(raw))
		col := &column{name: latin1(raw), pos: p}
		col.verdict = judgeName(col.name)
		col.cfgDecided, col.cfgCount, col.rounding = c.fr.column(col.name)
		if col.rounding == RoundNone {
			if r, _ := roundingFromName(col.name); r != RoundNone && (!col.cfgDecided || col.cfgCount) {
				col.rounding = r
			}
		}
		c.cols = append(c.cols, col)

		switch {
		case raw == "patient_id":
			c.add(c.at(p, 0, raw, analysis.CodeSDCPatientID, "the file has a patient_id column: it is patient-level data and will not be copied to Level 4 — release aggregated counts instead"))
		case isPatientIDLike(col.name):
			f := c.at(p, 0, col.name, analysis.CodeSDCPatientID, fmt.Sprintf("column %s looks like a patient identifier: only aggregated data may be released", quote(col.name)))
			f.Severity = analysis.SeverityWarning
			c.add(f)
		}
		if isMinMaxName(col.name) {
			c.add(c.at(p, 0, col.name, analysis.CodeSDCMinMax, fmt.Sprintf("column %s reports a minimum or maximum, which usually describes one or two people: drop it or give a broad range", quote(col.name))))
		}
		if isGeographyName(col.name) {
			c.add(c.at(p, 0, col.name, analysis.CodeSDCGeography, fmt.Sprintf("column %s looks like a practice or sub-regional area (ICB, STP, CCG, local authority, MSOA, LSOA): results must not identify them — aggregate to NHS England region or drop it", quote(col.name))))
		}
	}
	return nil
}

func isPatientIDLike(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "patient_id", "patientid", "patient id", "person_id", "nhs_number", "nhsnumber", "pseudo_id":
		return true
	}
	return false
}

func (c *csvCheck) add(f Finding) { c.rep.Findings = append(c.rep.Findings, f) }

// checkEncoding reports the first cell that is not valid UTF-8.
func (c *csvCheck) checkEncoding(s string, p cellPos, row int, colName string) {
	if c.badUTF8 != nil || utf8.ValidString(s) {
		return
	}
	f := c.at(p, row, colName, analysis.CodeSDCEncoding, "the file is not valid UTF-8 (it looks like Latin-1 or Windows-1252): write it as UTF-8 so Airlock and the output checkers see the same characters")
	c.badUTF8 = &f
}

func (c *csvCheck) row(rec []string) {
	c.rows++
	line, _ := c.r.FieldPos(0)
	c.cr.forget(line)
	if c.rows == MaxCSVRows+1 {
		p := c.pos(0, rec[0])
		c.overLimit = &p
		c.dropTable()
	}
	if len(rec) != len(c.cols) && !(len(rec) == 1 && rec[0] == "" && len(c.cols) > 1) {
		c.ragged++
		if c.ragged == 1 {
			c.raggedFirst = c.at(c.pos(0, rec[0]), c.rows, "", analysis.CodeSDCRagged,
				fmt.Sprintf("row %d has %d fields but the header has %d", c.rows, len(rec), len(c.cols)))
		}
	}
	n := min(len(rec), len(c.cols))
	for i := 0; i < n; i++ {
		c.cell(c.cols[i], i, rec[i])
	}
	c.keep(rec)
}

// keep stores a row for the totals check while the table stays small.
func (c *csvCheck) keep(rec []string) {
	if c.tableOff {
		return
	}
	n := min(len(rec), len(c.cols))
	size := 0
	for _, s := range rec[:n] {
		size += len(s)
	}
	if c.tableCells+n > maxTableCells || c.tableBytes+size > maxTableBytes {
		c.dropTable()
		return
	}
	tr := tableRow{row: c.rows, fields: make([]string, n), pos: make([]cellPos, n)}
	copy(tr.fields, rec[:n])
	for i := range n {
		tr.pos[i] = c.pos(i, rec[i])
	}
	c.table = append(c.table, tr)
	c.tableCells += n
	c.tableBytes += size
}

func (c *csvCheck) dropTable() {
	c.table, c.tableOff = nil, true
}

func (c *csvCheck) cell(col *column, i int, v string) {
	if c.badUTF8 == nil && !utf8.ValidString(v) {
		c.checkEncoding(v, c.pos(i, v), c.rows, col.name)
	}
	class, x, whole := classify(v)
	switch class {
	case classMissing:
		col.missing++
		return
	case classRedacted:
		col.redacted++
		return
	case classText:
		norm := airlockNormal(v)
		if redactionLike(norm) {
			col.redactionLike++
		} else {
			col.otherText++
		}
		if col.tokenSeen == nil {
			col.tokenSeen = map[string]int{}
		}
		if k, ok := col.tokenSeen[norm]; ok {
			col.tokenCount[k]++
			return
		}
		if len(col.tokens) >= maxTokens {
			return
		}
		col.tokenSeen[norm] = len(col.tokens)
		col.tokens = append(col.tokens, c.at(c.pos(i, v), c.rows, col.name, analysis.CodeSDCRedactionMarker, v))
		col.tokenCount = append(col.tokenCount, 1)
		return
	}
	col.numeric++
	if !whole {
		col.fractional++
		return
	}
	if x < 0 {
		col.negative++
		return
	}
	col.whole++
	if x > col.max {
		col.max = x
	}
	if x >= 1900 && x <= 2100 {
		col.yearish++
	}
	if x == 0 {
		return
	}
	col.nonzero++
	n := int64(x)
	small := n <= SmallCountLimit
	if small && col.small.want() {
		col.small.first = append(col.small.first, c.valueFinding(col, i, v, "%s is a count of 7 or fewer that is not redacted: redact it (write [REDACTED]) before rounding"))
	}
	if !small && n%5 != 0 && col.not5.want() {
		col.not5.first = append(col.not5.first, c.valueFinding(col, i, v, "%s is not rounded to the nearest 5: round every count, after redacting counts of 7 or fewer"))
	}
	if (n-3)%6 != 0 && col.notM6.want() {
		col.notM6.first = append(col.notM6.first, c.valueFinding(col, i, v, "%s is not midpoint-6 rounded (values must be 0 or 3, 9, 15, …)"))
	}
	if n%6 != 0 && col.not6.want() {
		col.not6.first = append(col.not6.first, c.valueFinding(col, i, v, "%s is not a multiple of 6, as a value derived from midpoint-6 rounded counts should be"))
	}
}

// valueFinding is a pending finding about cell i of the current row; its code is set when
// the column's role is known.
func (c *csvCheck) valueFinding(col *column, i int, v, format string) Finding {
	msg := fmt.Sprintf("row %d, column %s: ", c.rows, quote(col.name)) + fmt.Sprintf(format, strings.TrimSpace(v))
	return c.at(c.pos(i, v), c.rows, col.name, analysis.Code{}, msg)
}

// decide settles whether a column holds counts and which rounding it should show.
func (col *column) decide() ColumnReport {
	cr := ColumnReport{Name: col.name, Numeric: col.numeric, Missing: col.missing, Redacted: col.redacted,
		Text: col.redactionLike + col.otherText}
	plain := col.fractional == 0 && col.otherText == 0
	switch {
	case col.cfgDecided:
		cr.Count, cr.CountBy = col.cfgCount, "config"
	case col.rounding != RoundNone:
		cr.Count, cr.CountBy = true, "name"
	case col.verdict == nameCount:
		if plain && col.numeric+col.redacted+col.redactionLike > 0 {
			cr.Count, cr.CountBy = true, "name"
		}
	case col.verdict == nameUnknown:
		if plain && col.negative == 0 && col.whole > 0 && col.max > 1 && col.yearish < col.whole {
			cr.Count, cr.CountBy = true, "content"
		}
	}
	if !cr.Count {
		return cr
	}
	cr.Rounding = col.rounding
	if cr.Rounding == RoundNone {
		cr.Rounding = RoundTo5
		// Midpoint-6 rounded counts without the naming convention: every non-zero value is
		// 3 more than a multiple of 6, and not all of them are multiples of 5.
		if col.nonzero >= 3 && col.max > SmallCountLimit && col.notM6.n == 0 && col.small.n+col.not5.n > 0 {
			cr.Rounding = RoundMidpoint6
		}
	}
	switch cr.Rounding {
	case RoundTo5:
		cr.Small, cr.Bad = col.small.n, col.not5.n
	case RoundMidpoint6:
		cr.Bad = col.notM6.n
	case RoundMidpoint6Derived:
		cr.Bad = col.not6.n
	}
	return cr
}

// columnFindings turns a decided column's pending findings into findings.
func (col *column) columnFindings(cr ColumnReport) []Finding {
	var out []Finding
	if !cr.Count {
		return nil
	}
	note := ""
	smallSev := analysis.CodeSDCSmallCount.Severity
	if cr.CountBy == "content" {
		note = " (the column holds only whole numbers, so osls treats it as a count; if it is not, add it to not_count_columns in osls.yaml)"
		smallSev = analysis.SeverityWarning
	}
	switch cr.Rounding {
	case RoundTo5:
		out = append(out, col.small.emit(analysis.CodeSDCSmallCount, smallSev, note)...)
		out = append(out, col.not5.emit(analysis.CodeSDCUnrounded, analysis.CodeSDCUnrounded.Severity, note)...)
	case RoundMidpoint6:
		out = append(out, col.notM6.emit(analysis.CodeSDCMidpoint6, analysis.CodeSDCMidpoint6.Severity, "")...)
	case RoundMidpoint6Derived:
		out = append(out, col.not6.emit(analysis.CodeSDCMidpoint6Derived, analysis.CodeSDCMidpoint6Derived.Severity, "")...)
	}
	for k, f := range col.tokens {
		more := ""
		if n := col.tokenCount[k]; n > 1 {
			more = fmt.Sprintf(" (%d times in this column)", n)
		}
		value := f.Message // the raw cell, kept until now
		f.Message = fmt.Sprintf("row %d, column %s: %s is not a redaction marker Airlock recognises, so the column shows as mixed text and numbers: write [REDACTED]%s", f.Row, quote(col.name), quote(value), more)
		out = append(out, f)
	}
	return out
}

func (c *csvCheck) finish() {
	reports := make([]ColumnReport, len(c.cols))
	anyCount := false
	for i, col := range c.cols {
		reports[i] = col.decide()
		anyCount = anyCount || reports[i].Count
		c.rep.Findings = append(c.rep.Findings, col.columnFindings(reports[i])...)
	}
	if !anyCount {
		for _, col := range c.cols {
			if isRateName(col.name) {
				c.add(c.at(col.pos, 0, col.name, analysis.CodeSDCRateNoCounts, fmt.Sprintf("column %s is a percentage or rate but the file has no count columns: output checkers need the rounded counts behind every percentage and rate", quote(col.name))))
				break
			}
		}
	}
	c.rep.Columns = reports
	c.rep.Rows = c.rows
	if c.badUTF8 != nil {
		c.add(*c.badUTF8)
	}
	if c.ragged > 0 {
		f := c.raggedFirst
		if c.ragged > 1 {
			f.Message += fmt.Sprintf(" (%d rows in all do not match the header)", c.ragged)
		}
		c.add(f)
	}
	if c.overLimit != nil {
		c.add(c.at(*c.overLimit, MaxCSVRows+1, "", analysis.CodeSDCCSVRows, fmt.Sprintf("the file has %d data rows, more than the Level 4 limit of %d: it will not be copied for review — aggregate further or split it", c.rows, MaxCSVRows)))
	}
	if !c.tableOff {
		c.checkTotals(reports)
	}
}

// cellValue reads a kept cell for the totals check.
type cellValue struct {
	value    float64
	number   bool // a whole number
	redacted bool // redacted, or text that looks like a redaction
}

func readCell(s string) cellValue {
	class, x, whole := classify(s)
	switch class {
	case classRedacted:
		return cellValue{redacted: true}
	case classText:
		return cellValue{redacted: redactionLike(airlockNormal(s))}
	case classNumber:
		return cellValue{value: x, number: whole}
	}
	return cellValue{}
}

// checkTotals compares total rows and total columns with the sum of the cells they cover.
func (c *csvCheck) checkTotals(cols []ColumnReport) {
	var counts, labels []int
	for i, cr := range cols {
		switch {
		case cr.Count && cr.Rounding == RoundTo5:
			counts = append(counts, i)
		case !cr.Count && c.cols[i].fractional == 0 && c.cols[i].verdict != nameStatistic:
			labels = append(labels, i)
		}
	}
	if len(counts) == 0 {
		return
	}
	c.checkTotalRows(counts, labels)
	c.checkTotalColumns(counts)
}

// checkTotalRows finds rows with a label cell reading "Total", "All" or "Overall". Such a
// row covers the other rows that agree with it in every other label column (so a long table
// with one total per variable is handled), and each of its counts must be their sum.
func (c *csvCheck) checkTotalRows(counts, labels []int) {
	type groupKey struct {
		col  int // the label column holding "Total"
		rest string
	}
	type group struct{ totals, cells []int } // indices into c.table
	key := func(tr tableRow, skip int) string {
		var b strings.Builder
		for _, j := range labels {
			if j != skip {
				b.WriteString(field(tr, j))
				b.WriteByte(0)
			}
		}
		return b.String()
	}
	groups := map[groupKey]*group{}
	var order []groupKey
	totalCols := map[int]bool{}
	isTotal := make([]bool, len(c.table))
	for r, tr := range c.table {
		for _, j := range labels {
			if !isTotalLabel(field(tr, j)) {
				continue
			}
			k := groupKey{j, key(tr, j)}
			g := groups[k]
			if g == nil {
				g = &group{}
				groups[k] = g
				order = append(order, k)
			}
			g.totals = append(g.totals, r)
			isTotal[r], totalCols[j] = true, true
			break
		}
	}
	if len(order) == 0 {
		return
	}
	for r, tr := range c.table {
		if isTotal[r] {
			continue
		}
		for j := range totalCols {
			if g := groups[groupKey{j, key(tr, j)}]; g != nil {
				g.cells = append(g.cells, r)
			}
		}
	}
	for _, k := range order {
		g := groups[k]
		if len(g.cells) < 2 {
			continue
		}
		for _, t := range g.totals {
			for _, ci := range counts {
				cells := make([]string, 0, len(g.cells))
				for _, r := range g.cells {
					cells = append(cells, field(c.table[r], ci))
				}
				c.compareTotal(c.table[t], ci, cells, "the rows it covers")
			}
		}
	}
}

func (c *csvCheck) checkTotalColumns(counts []int) {
	for _, t := range counts {
		if !isTotalColumnName(c.cols[t].name) {
			continue
		}
		var parts []int
		for _, ci := range counts {
			if ci == t || isTotalColumnName(c.cols[ci].name) {
				continue
			}
			switch strings.Join(nameTokens(c.cols[ci].name), "_") {
			case "numerator", "denominator", "population", "n", "count":
				continue
			}
			parts = append(parts, ci)
		}
		if len(parts) < 2 {
			continue
		}
		// Only treat the column as a total of the others if every row without redactions
		// is within rounding distance of the sum.
		plausible, clean := true, 0
		for _, tr := range c.table {
			tot := readCell(field(tr, t))
			if !tot.number {
				continue
			}
			sum, red := 0.0, false
			for _, ci := range parts {
				v := readCell(field(tr, ci))
				sum += v.value
				red = red || v.redacted
			}
			if red {
				continue
			}
			clean++
			if math.Abs(tot.value-sum) > float64(5*len(parts)) {
				plausible = false
				break
			}
		}
		if !plausible || clean == 0 {
			continue
		}
		for _, tr := range c.table {
			cells := make([]string, 0, len(parts))
			for _, ci := range parts {
				cells = append(cells, field(tr, ci))
			}
			c.compareTotal(tr, t, cells, "the other count columns of its row")
		}
	}
}

func field(tr tableRow, i int) string {
	if i < len(tr.fields) {
		return tr.fields[i]
	}
	return ""
}

// compareTotal checks one total cell against the cells it covers.
func (c *csvCheck) compareTotal(tr tableRow, ci int, cells []string, what string) {
	if ci >= len(tr.fields) {
		return
	}
	tot := readCell(tr.fields[ci])
	if !tot.number {
		return
	}
	c.rep.Totals++
	sum, redacted := 0.0, 0
	for _, s := range cells {
		v := readCell(s)
		if v.redacted {
			redacted++
		}
		sum += v.value
	}
	if tot.value == sum {
		return
	}
	name := c.cols[ci].name
	p := tr.pos[ci]
	prefix := fmt.Sprintf("row %d, column %s: ", tr.row, quote(name))
	if redacted == 1 && tot.value > sum {
		c.add(c.at(p, tr.row, name, analysis.CodeSDCTotalRecovers, prefix+fmt.Sprintf("the total %g minus the published cells of %s (%g) reveals the one redacted cell (%g): compute totals from the redacted, rounded cells", tot.value, what, sum, tot.value-sum)))
		return
	}
	msg := fmt.Sprintf("the total %g is not the sum of the published cells of %s (%g): compute totals from the redacted, rounded cells so hidden values cannot be recovered by subtraction", tot.value, what, sum)
	if redacted > 1 {
		msg += fmt.Sprintf(" (%d of them are redacted)", redacted)
	}
	c.add(c.at(p, tr.row, name, analysis.CodeSDCTotalMismatch, prefix+msg))
}
