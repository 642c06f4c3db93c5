package runner

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/opensafely-core/osls/schema"
)

// Limits of the level 4 checks, as the job runner applies them.
const (
	Level4MaxBytes = 16 * 1024 * 1024
	Level4MaxRows  = 5000
)

// CheckLevel4 applies the level 4 rules to one moderately_sensitive output named name (a
// study-relative path) of the given size, reading its content from r only when needed: a file
// over 16 MiB, or of a type that cannot be released, gets that one finding; a CSV file gets a
// finding for a patient_id column and one for more than 5000 data rows. The messages are the
// job runner's. An empty result means the file passes.
func CheckLevel4(name string, r io.Reader, size int64) []Finding {
	if size > Level4MaxBytes {
		return []Finding{level4(name, fmt.Sprintf("File size of %.2fMb is larger that limit of %.1fMb.",
			float64(size)/(1024*1024), float64(Level4MaxBytes)/(1024*1024)))}
	}
	ext := path.Ext(name)
	if !schema.IsLevel4Extension(ext) {
		return []Finding{level4(name, fmt.Sprintf("File type of %s is not valid level 4 file", ext))}
	}
	if ext != ".csv" || r == nil {
		return nil
	}
	var out []Finding
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil // an empty or unreadable CSV has no header to object to
	}
	for _, h := range header {
		if h == "patient_id" {
			out = append(out, level4(name, "File has patient_id column"))
			break
		}
	}
	rows := 0
	for {
		_, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rows++
				continue
			}
			break
		}
		rows++
	}
	if rows > Level4MaxRows {
		out = append(out, level4(name, fmt.Sprintf("File row count (%d) exceeds maximum allowed rows (%d)", rows, Level4MaxRows)))
	}
	return out
}

func level4(name, msg string) Finding {
	return Finding{Kind: FindingLevel4, Severity: SeverityWarning, Path: name, Message: msg}
}
