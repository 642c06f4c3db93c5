package runner

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/analysis/outputs"
)

// Limits of the level 4 checks, as the job runner applies them.
const (
	Level4MaxBytes = outputs.MaxFileSize
	Level4MaxRows  = outputs.MaxCSVRows
)

// Checks of moderately_sensitive outputs. After a job, each moderately_sensitive file it
// wrote is checked once, by package outputs (the same checks as `osls outputs check`). The
// findings that are the job runner's own level 4 rules (file type, file size, row count, a
// patient_id column) keep the job runner's wording and the kind FindingLevel4, so the job's
// status message and log read as opensafely's do; every other finding is a
// FindingDisclosure. Both carry the rule's SDC code and, where there is one, the position of
// the offending cell, so no problem is reported twice.

// level4Codes are the outputs rules that the job runner itself enforces.
var level4Codes = map[string]bool{
	analysis.CodeSDCFileType.ID:  true,
	analysis.CodeSDCFileSize.ID:  true,
	analysis.CodeSDCCSVRows.ID:   true,
	analysis.CodeSDCPatientID.ID: true,
}

// CheckLevel4 applies the level 4 rules to one moderately_sensitive output named name (a
// study-relative path) of the given size, reading its content from r only when needed: a file
// over 16 MiB, or of a type that cannot be released, gets that one finding; a CSV file gets a
// finding for a patient_id column and one for more than 5000 data rows. The messages are the
// job runner's. An empty result means the file passes.
func CheckLevel4(name string, r io.Reader, size int64) []Finding {
	var out []Finding
	for _, f := range CheckOutput(name, r, size, outputs.Config{}) {
		if f.Kind == FindingLevel4 {
			out = append(out, f)
		}
	}
	return out
}

// CheckOutput checks one moderately_sensitive output like CheckLevel4 and also for
// disclosure control (package outputs, with the study's settings cfg): it returns the level 4
// findings in the job runner's words followed by the disclosure-control findings. A file
// over the size limit is not read: it cannot be released, so only that is reported.
func CheckOutput(name string, r io.Reader, size int64, cfg outputs.Config) []Finding {
	if size > Level4MaxBytes {
		return []Finding{sizeFinding(name, size)}
	}
	if r == nil {
		r = strings.NewReader("")
	}
	return fromReport(outputs.Inspect(name, r, size, cfg))
}

// sizeFinding is the job runner's finding for a file over the size limit.
func sizeFinding(name string, size int64) Finding {
	f := level4(name, fmt.Sprintf("File size of %.2fMb is larger that limit of %.1fMb.",
		float64(size)/(1024*1024), float64(Level4MaxBytes)/(1024*1024)))
	f.Code = analysis.CodeSDCFileSize.ID
	return f
}

// fromReport converts the findings of one checked file: level 4 findings first, in the job
// runner's words, then the others.
func fromReport(fr *outputs.FileReport) []Finding {
	var l4, other []Finding
	for _, of := range fr.Findings {
		f := Finding{Kind: FindingDisclosure, Severity: severityOf(of.Severity), Path: fr.Path, Pattern: fr.Pattern,
			Message: of.Message, Code: of.Code, Row: of.Row, Column: of.Column, Line: of.Line, Col: of.Col}
		if level4Codes[of.Code] {
			msg, ok := level4Message(fr, of)
			if ok {
				f.Kind, f.Severity, f.Message = FindingLevel4, SeverityWarning, msg
				l4 = append(l4, f)
				continue
			}
		}
		other = append(other, f)
	}
	return append(l4, other...)
}

// level4Message returns the job runner's message for a finding of one of its own rules; ok is
// false for findings the job runner would not make (a column that only looks like an id).
func level4Message(fr *outputs.FileReport, f outputs.Finding) (string, bool) {
	switch f.Code {
	case analysis.CodeSDCFileType.ID:
		return fmt.Sprintf("File type of %s is not valid level 4 file", path.Ext(fr.Path)), true
	case analysis.CodeSDCFileSize.ID:
		return sizeFinding(fr.Path, fr.Size).Message, true
	case analysis.CodeSDCCSVRows.ID:
		return fmt.Sprintf("File row count (%d) exceeds maximum allowed rows (%d)", fr.Rows, Level4MaxRows), true
	case analysis.CodeSDCPatientID.ID:
		if f.Column == "patient_id" && f.Severity == analysis.SeverityError {
			return "File has patient_id column", true
		}
	}
	return "", false
}

func severityOf(s analysis.Severity) Severity {
	switch s {
	case analysis.SeverityError:
		return SeverityError
	case analysis.SeverityWarning:
		return SeverityWarning
	}
	return SeverityInfo
}

func level4(name, msg string) Finding {
	return Finding{Kind: FindingLevel4, Severity: SeverityWarning, Path: name, Message: msg}
}

// checkOutputs checks the moderately_sensitive files among outs, which the job of action a
// wrote in the folder dir, with the study's settings from osls.yaml. It runs the project
// checks of package outputs (so an image released without a CSV is noticed too) over a view
// of dir that holds only those files.
func (st *Study) checkOutputs(a *analysis.Action, dir string, outs []FileRecord) []Finding {
	only := onlyFiles{fsys: os.DirFS(dir), files: map[string]bool{}, dirs: map[string]bool{".": true}}
	var out []Finding
	for _, o := range outs {
		if o.Level != "moderately_sensitive" {
			continue
		}
		if o.Size > Level4MaxBytes {
			out = append(out, sizeFinding(o.Path, o.Size))
			continue
		}
		only.add(o.Path)
	}
	if len(only.files) == 0 {
		return out
	}
	cfg, name, err := outputs.LoadConfig(os.DirFS(st.Dir))
	if err != nil {
		out = append(out, Finding{Kind: FindingDisclosure, Severity: SeverityWarning, Path: name,
			Message: fmt.Sprintf("%v; the disclosure-control checks used the default settings (osls schema outputs-config describes the file)", err)})
	}
	rep, err := outputs.CheckProject(only, st.Project, []string{a.ID}, cfg)
	if err != nil {
		return append(out, Finding{Kind: FindingDisclosure, Severity: SeverityWarning,
			Message: "the disclosure-control checks could not run: " + err.Error()})
	}
	for _, fr := range rep.Files {
		out = append(out, fromReport(fr)...)
	}
	// Level 4 findings first (the job log lists them apart), then the rest, by file.
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Kind == FindingLevel4 && out[j].Kind != FindingLevel4
	})
	return out
}

// onlyFiles is a view of a folder that shows only some of its files (and the folders that
// lead to them).
type onlyFiles struct {
	fsys  fs.FS
	files map[string]bool
	dirs  map[string]bool
}

func (o onlyFiles) add(p string) {
	o.files[p] = true
	for d := path.Dir(p); d != "." && !o.dirs[d]; d = path.Dir(d) {
		o.dirs[d] = true
	}
}

// Open implements fs.FS.
func (o onlyFiles) Open(name string) (fs.File, error) {
	if !o.files[name] && !o.dirs[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return o.fsys.Open(name)
}

// ReadDir implements fs.ReadDirFS, listing only the files and folders of the view.
func (o onlyFiles) ReadDir(name string) ([]fs.DirEntry, error) {
	if !o.dirs[name] {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	all, err := fs.ReadDir(o.fsys, name)
	if err != nil {
		return nil, err
	}
	var out []fs.DirEntry
	for _, e := range all {
		p := path.Join(name, e.Name())
		if o.files[p] || o.dirs[p] {
			out = append(out, e)
		}
	}
	return out, nil
}
