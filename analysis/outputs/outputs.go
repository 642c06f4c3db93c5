// Package outputs checks the files an action writes as moderately_sensitive against the
// statistical disclosure control (SDC) rules a program can verify: the Level 4 file rules
// (type, size, CSV rows, a patient_id column) and the numeric rules of OpenSAFELY's output
// checking guidance (counts of 1 to 7 redacted, counts rounded to 5 or midpoint-6 rounded,
// totals that equal the sum of the published cells, redaction markers that Airlock
// recognises).
//
// The checks work on one file at a time, given as an io.Reader with its name and size, and
// stream it: a CSV is read record by record with encoding/csv, per-column statistics are kept
// in fixed-size structures, and the rows needed for the totals check are kept only while the
// table is small enough to be released at all. Memory use therefore does not grow with the
// file. Positions in findings are byte offsets into the original file (and the line and byte
// column they fall on), so the language server can place them on the output file and the CLI
// can print them.
//
// Because studies run their rounding and redaction code on dummy data too, checking the
// dummy outputs shows before a job ever runs on the server whether every count column is
// actually protected.
package outputs

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/schema"
)

// Level 4 limits enforced by the job runner when it copies moderately_sensitive files.
const (
	MaxFileSize = 16 * 1024 * 1024 // bytes
	MaxCSVRows  = 5000             // data rows, header excluded
	// SmallCountLimit is the largest count that must be redacted (N1: "7 or fewer").
	SmallCountLimit = 7
)

// maxPerColumnRule bounds the findings of one rule in one column; further occurrences are
// summed up in the last finding's message.
const maxPerColumnRule = 5

// Finding is one problem found in an output file.
type Finding struct {
	File     string // the file's path as given (relative to the study root for project checks)
	Code     string // rule id, e.g. "SDC010"
	Severity analysis.Severity
	Message  string

	Row    int    // 1-based data row (the header is row 0); 0 also for whole-file findings
	Column string // column name (or JSON key), "" when the finding is not about one column

	// Position of the offending field in the file: a byte offset, its 1-based line and
	// 1-based byte column, and the field's width in bytes. Line is 0 (and Offset 0) for
	// whole-file findings.
	Offset int64
	Line   int
	Col    int
	Width  int
}

// Diagnostic converts f to an analysis.Diagnostic on the output file itself, with its range
// in byte offsets of that file (for the language server, which has the file's text).
func (f Finding) Diagnostic() analysis.Diagnostic {
	return analysis.Diagnostic{
		File:     f.File,
		Range:    analysis.Range{Start: int(f.Offset), End: int(f.Offset) + f.Width},
		Severity: f.Severity,
		Code:     f.Code,
		Message:  f.Message,
	}
}

// Kind is the sort of file an output is, which decides the checks applied to it.
type Kind string

// Kinds of output file.
const (
	KindCSV   Kind = "csv"
	KindImage Kind = "image"
	KindText  Kind = "text" // .txt, .md, .html, .log
	KindJSON  Kind = "json"
	KindOther Kind = "other" // not a Level 4 file type
)

// Rounding is the disclosure control a count column shows (or is declared to use).
type Rounding string

// Roundings of a count column.
const (
	RoundNone             Rounding = ""
	RoundTo5              Rounding = "nearest 5"
	RoundMidpoint6        Rounding = "midpoint 6"
	RoundMidpoint6Derived Rounding = "midpoint 6 derived"
)

// ColumnReport describes one CSV column as the checks saw it; the summary is written from it.
type ColumnReport struct {
	Name     string
	Count    bool     // treated as a count column
	CountBy  string   // "config", "name" or "content" when Count; "" otherwise
	Rounding Rounding // the rounding expected of it (counts only)
	Numeric  int      // cells holding a number
	Missing  int      // empty, null, none, nan
	Redacted int      // cells Airlock counts as redacted
	Text     int      // other text (including unrecognised redaction markers)
	Small    int      // unredacted counts of 1 to 7
	Bad      int      // counts that break the rounding rule
}

// Verified reports whether the column is a count column whose every value obeys both the
// small-count rule and its rounding rule, with redactions only in markers Airlock
// recognises, and which has at least one number to show it.
func (c ColumnReport) Verified() bool {
	return c.Count && c.Numeric > 0 && c.Small == 0 && c.Bad == 0 && c.Text == 0
}

// FileReport is the result of checking one file.
type FileReport struct {
	Path     string
	Size     int64
	Kind     Kind
	Rows     int // CSV data rows (header excluded)
	Totals   int // total cells compared with the cells they cover
	Columns  []ColumnReport
	Findings []Finding

	// Set by the project checks: the action and output that declared the file.
	Action     string
	OutputName string
	Pattern    string
}

// Errors counts the findings of error severity.
func (r *FileReport) Errors() int { return countSeverity(r.Findings, analysis.SeverityError) }

// Warnings counts the findings of warning severity.
func (r *FileReport) Warnings() int { return countSeverity(r.Findings, analysis.SeverityWarning) }

func countSeverity(fs []Finding, s analysis.Severity) int {
	n := 0
	for _, f := range fs {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// CheckFile checks one moderately_sensitive output: name is its path (used for the file type
// and in findings), r its contents and size its length in bytes (-1 when unknown, in which
// case the bytes read are counted). Read errors become findings.
func CheckFile(name string, r io.Reader, size int64, cfg Config) []Finding {
	return Inspect(name, r, size, cfg).Findings
}

// Inspect checks one file like CheckFile and also returns what it learnt about the file (its
// kind, rows and columns), from which Summary drafts the release-request text.
func Inspect(name string, r io.Reader, size int64, cfg Config) *FileReport {
	rep := &FileReport{Path: name, Size: size, Kind: KindOf(name)}
	fc := cfg.forFile(name)
	add := func(f Finding) { rep.Findings = append(rep.Findings, f) }

	base := path.Base(name)
	if strings.HasPrefix(base, ".") {
		add(fileFinding(name, analysis.CodeSDCHiddenFile, fmt.Sprintf("%s starts with a dot: Airlock will not add hidden files to a release request; rename it", base)))
	}
	if rep.Kind == KindOther {
		ext := path.Ext(base)
		if ext == "" {
			ext = "(none)"
		}
		add(fileFinding(name, analysis.CodeSDCFileType, fmt.Sprintf("file type %s is not a valid Level 4 file (allowed: %s); the file will not be copied for review — write a .csv (tables) or .png/.svg (figures), or make the output highly_sensitive", ext, strings.Join(schema.Level4Extensions, " "))))
		rep.Findings = fc.filter(rep.Findings)
		return rep
	}

	cr := &countingReader{r: r}
	switch rep.Kind {
	case KindCSV:
		checkCSV(rep, cr, fc)
	case KindJSON:
		checkJSON(rep, cr)
	case KindText:
		checkText(rep, cr)
	default:
		_, _ = io.Copy(io.Discard, cr)
	}
	if rep.Size < 0 {
		rep.Size = cr.n
	}
	if rep.Size > MaxFileSize {
		f := fileFinding(name, analysis.CodeSDCFileSize, fmt.Sprintf("file size of %.1f MiB is larger than the Level 4 limit of 16 MiB; the file will not be copied for review — release a smaller summary", float64(rep.Size)/(1024*1024)))
		rep.Findings = append([]Finding{f}, rep.Findings...)
	}
	switch {
	case rep.Kind == KindImage:
		add(fileFinding(name, analysis.CodeSDCManualReview, "an image is checked for type and size only: output checkers review it by eye, and need the counts behind it (release them as a CSV, rounded and redacted)"))
	case rep.Kind == KindJSON || rep.Kind == KindText:
		add(fileFinding(name, analysis.CodeSDCManualReview, "a text file is checked for type, size and obvious small counts only: it needs a careful manual review (tables are easier to check as CSV)"))
	}
	if path.Ext(base) == ".log" {
		add(fileFinding(name, analysis.CodeSDCLogFile, "log files are released only in exceptional cases, stripped to the minimum: consider making it highly_sensitive and releasing a table instead"))
	}
	rep.Findings = fc.filter(rep.Findings)
	return rep
}

// KindOf returns the kind of output a file name denotes, from its last extension, compared
// case-sensitively as the job runner does.
func KindOf(name string) Kind {
	ext := path.Ext(path.Base(name))
	if !schema.IsLevel4Extension(ext) {
		return KindOther
	}
	switch ext {
	case ".csv":
		return KindCSV
	case ".json":
		return KindJSON
	case ".png", ".jpg", ".jpeg", ".svg", ".svgz":
		return KindImage
	}
	return KindText
}

// fileFinding is a finding about the whole file.
func fileFinding(file string, c analysis.Code, msg string) Finding {
	return Finding{File: file, Code: c.ID, Severity: c.Severity, Message: msg}
}

// countingReader counts the bytes read through it and remembers where recent lines start, so
// positions a parser reports (line and column, or an input offset) can be converted to the
// other form. Line starts are dropped once the parser has moved past them, so the memory
// used is bounded by the parser's read-ahead. It also refuses lines longer than maxLine, which
// would otherwise make encoding/csv buffer without bound.
type countingReader struct {
	r       io.Reader
	n       int64   // bytes read so far
	bom     int     // length of a byte order mark the parser does not see
	first   int     // line number of starts[head]
	head    int     // index of the first remembered line start
	starts  []int64 // file offsets of the starts of lines first, first+1, …
	lineLen int64   // bytes since the last newline
	maxLine int64   // 0: unlimited
}

// errLineTooLong stops a parse when one line exceeds the reader's limit.
var errLineTooLong = fmt.Errorf("a line longer than %d MiB", maxLineBytes/(1024*1024))

// maxLineBytes bounds one physical line of a CSV or text file.
const maxLineBytes = 8 * 1024 * 1024

func (c *countingReader) Read(p []byte) (int, error) {
	if c.starts == nil {
		c.first, c.starts = 1, []int64{0}
	}
	n, err := c.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			c.starts = append(c.starts, c.n+int64(i)+1)
			c.lineLen = 0
			continue
		}
		c.lineLen++
		if c.maxLine > 0 && c.lineLen > c.maxLine {
			c.n += int64(i)
			return i, errLineTooLong
		}
	}
	c.n += int64(n)
	return n, err
}

// forget drops the starts of lines before line.
func (c *countingReader) forget(line int) {
	k := line - c.first
	if k <= 0 || c.head+k >= len(c.starts) {
		return
	}
	c.head += k
	c.first = line
	if c.head > 1024 && c.head > len(c.starts)/2 {
		c.starts = append(c.starts[:0], c.starts[c.head:]...)
		c.head = 0
	}
}

// pos converts a 1-based line and a 1-based byte column of the parser's input (which does not
// include a byte order mark) to a file offset and a byte column of the file.
func (c *countingReader) pos(line, col int) (int64, int) {
	k := c.head + line - c.first
	if c.starts == nil || k < c.head || k >= len(c.starts) {
		return 0, 1
	}
	if line == 1 {
		col += c.bom
	}
	return c.starts[k] + int64(col-1), col
}

// lineCol converts a file offset to a 1-based line and byte column, forgetting earlier
// lines: offsets must be asked for in increasing order.
func (c *countingReader) lineCol(off int64) (int, int) {
	if c.starts == nil {
		return 1, int(off) + 1
	}
	k := c.head
	for k+1 < len(c.starts) && c.starts[k+1] <= off {
		k++
	}
	c.forget(c.first + k - c.head)
	return c.first, int(off-c.starts[c.head]) + 1
}
