package engine

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Writer receives a results table: a header, then rows in patient_id order.
type Writer interface {
	// Header names the columns (patient_id first, as written).
	Header(cols []OutColumn) error
	// Row writes one row; vals are the columns after patient_id.
	Row(id int64, vals []Val) error
	Close() error
}

// CSVWriter writes CSV exactly as Python's csv module does with ehrQL's settings: comma,
// CRLF line ends, minimal quoting.
type CSVWriter struct {
	w       *bufio.Writer
	closers []io.Closer
	buf     []byte
	noID    bool
}

// NewCSVWriter writes CSV to w; closers are closed, in order, by Close.
func NewCSVWriter(w io.Writer, closers ...io.Closer) *CSVWriter {
	return &CSVWriter{w: bufio.NewWriterSize(w, 1<<16), closers: closers}
}

func appendField(b []byte, s string) []byte {
	if strings.ContainsAny(s, ",\"\r\n") {
		b = append(b, '"')
		b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
		return append(b, '"')
	}
	return append(b, s...)
}

// Header implements Writer.
func (c *CSVWriter) Header(cols []OutColumn) error {
	b := c.buf[:0]
	if !c.noID {
		b = append(b, "patient_id"...)
	}
	for i, col := range cols {
		if i > 0 || !c.noID {
			b = append(b, ',')
		}
		b = appendField(b, col.Name)
	}
	b = append(b, '\r', '\n')
	c.buf = b
	_, err := c.w.Write(b)
	return err
}

// Row implements Writer.
func (c *CSVWriter) Row(id int64, vals []Val) error {
	b := c.buf[:0]
	if !c.noID {
		b = strconv.AppendInt(b, id, 10)
	}
	for i, v := range vals {
		if i > 0 || !c.noID {
			b = append(b, ',')
		}
		switch v.K {
		case KNull:
		case KStr:
			b = appendField(b, v.S)
		case KInt:
			b = strconv.AppendInt(b, v.I, 10)
		default:
			b = append(b, v.Text()...)
		}
	}
	b = append(b, '\r', '\n')
	c.buf = b
	_, err := c.w.Write(b)
	return err
}

// Close implements Writer.
func (c *CSVWriter) Close() error {
	err := c.w.Flush()
	for _, cl := range c.closers {
		if e := cl.Close(); err == nil {
			err = e
		}
	}
	return err
}

// atomicFile is a file written under a temporary name and renamed into place on Close.
type atomicFile struct {
	f    *os.File
	path string
	done bool
}

func createAtomic(path string) (*atomicFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	return &atomicFile{f: f, path: path}, nil
}

func (a *atomicFile) Write(p []byte) (int, error) { return a.f.Write(p) }

// Close renames the file into place.
func (a *atomicFile) Close() error {
	if a.done {
		return nil
	}
	a.done = true
	if err := a.f.Close(); err != nil {
		os.Remove(a.f.Name())
		return err
	}
	if err := os.Chmod(a.f.Name(), 0o644); err != nil {
		os.Remove(a.f.Name())
		return err
	}
	return os.Rename(a.f.Name(), a.path)
}

// Abort removes the temporary file.
func (a *atomicFile) Abort() {
	if !a.done {
		a.done = true
		a.f.Close()
		os.Remove(a.f.Name())
	}
}

// Formats are the output formats ehrQL writes, by extension.
var Formats = []string{"csv", "csv.gz", "arrow"}

// FormatOf returns the format of a path by its extension, or "".
func FormatOf(path string) string {
	switch {
	case strings.HasSuffix(path, ".csv.gz"):
		return "csv.gz"
	case strings.HasSuffix(path, ".csv"):
		return "csv"
	case strings.HasSuffix(path, ".arrow"):
		return "arrow"
	}
	return ""
}

// SplitDirOutput reads the DIR:EXT (or DIR/:EXT) output form; ok is false for a plain path.
func SplitDirOutput(out string) (dir, ext string, ok bool) {
	i := strings.LastIndexByte(out, ':')
	if i < 0 {
		return "", "", false
	}
	ext = out[i+1:]
	if strings.ContainsAny(ext, `/\`) {
		return "", "", false
	}
	return strings.TrimSuffix(out[:i], "/"), ext, true
}

// Abortable is a Writer whose partial output can be discarded.
type Abortable interface {
	Writer
	Abort()
}

type fileWriter struct {
	Writer
	af *atomicFile
}

func (f *fileWriter) Abort() { f.af.Abort() }

// CreateFile opens a writer for path, in the format its extension names; the file appears
// (atomically) on Close.
func CreateFile(path string) (Abortable, error) {
	format := FormatOf(path)
	if format == "" {
		return nil, fmt.Errorf("%s: the output must end in one of .%s", path, strings.Join(Formats, ", ."))
	}
	af, err := createAtomic(path)
	if err != nil {
		return nil, err
	}
	var w Writer
	switch format {
	case "csv":
		w = NewCSVWriter(af, af)
	case "csv.gz":
		gz := gzip.NewWriter(af)
		w = NewCSVWriter(gz, gz, af)
	case "arrow":
		w = newArrowWriter(af)
	}
	return &fileWriter{Writer: w, af: af}, nil
}

// OmitPatientID makes the writer leave out the patient_id column (measures output).
func (c *CSVWriter) OmitPatientID() { c.noID = true }

// OmitPatientID forwards to the wrapped writer.
func (f *fileWriter) OmitPatientID() {
	if w, ok := f.Writer.(interface{ OmitPatientID() }); ok {
		w.OmitPatientID()
	}
}
