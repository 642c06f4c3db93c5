package opencodelists

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opensafely-core/osls/analysis"
)

// Study is a study folder on disk whose codelists/ folder is kept in step with OpenCodelists.
type Study struct {
	Dir    string  // the study root, holding codelists/
	Client *Client // the server to use
	// Progress, if set, is called as downloads proceed (for the editor's $/progress).
	Progress func(Progress)
	// Now gives the time recorded as downloaded_at; time.Now when nil.
	Now func() time.Time
}

// Progress reports one step of a download run.
type Progress struct {
	Done, Total int    // codelists downloaded so far, and to download in all
	ID          string // the codelist being fetched now ("" when finished)
	Message     string // e.g. "Fetching opensafely/asthma-diagnosis/2020-04-15"
}

// UpdateOptions chooses what Update downloads.
type UpdateOptions struct {
	// Only, when not empty, limits the run to these ids (each must be listed): other CSVs and
	// their manifest entries are kept and nothing is deleted. This is "download what is
	// missing" for the editor's import quick fix.
	Only []string
	// ConfirmDelete is called, after every download succeeded and before any file changes,
	// with the names of the CSVs in codelists/ that are no longer listed and will be
	// deleted. Returning an error aborts the update with nothing changed.
	ConfirmDelete func(names []string) error
}

// Result says what Add or Update changed.
type Result struct {
	Added     string   // the line Add appended to codelists.txt ("" if none)
	Fetched   []string // ids downloaded
	Changed   []string // CSV files whose content changed (or that are new)
	Unchanged []string // CSV files downloaded again with the same SHA
	Deleted   []string // CSV files deleted because they are no longer listed
}

// ParseError is a codelists.txt that cannot be used, with every problem found.
type ParseError struct {
	Problems []string
}

func (e *ParseError) Error() string {
	return "codelists/codelists.txt has problems:\n  " + strings.Join(e.Problems, "\n  ")
}

// blocking are the diagnostics that stop a download, as they stop opensafely-cli.
var blocking = map[string]bool{
	analysis.CodeCodelistSyntax.ID: true, analysis.CodeCodelistPattern.ID: true,
	analysis.CodeCodelistDuplicate.ID: true, analysis.CodeCodelistConflict.ID: true,
	analysis.CodeCodelistFilename.ID: true,
}

// parseTxt parses codelists.txt and fails on lines that cannot be downloaded.
func parseTxt(text []byte) ([]analysis.CodelistLine, error) {
	var problems []string
	lines := analysis.ParseCodelistsTxt(text)
	nl := analysis.NewLines(text)
	for _, d := range analysis.CheckCodelists(analysis.MapSnapshot{analysis.CodelistsFile: string(text)}) {
		if blocking[d.Code] {
			problems = append(problems, fmt.Sprintf("line %d: %s", nl.Line(d.Range.Start)+1, d.Message))
		}
	}
	if len(problems) > 0 {
		return nil, &ParseError{Problems: problems}
	}
	return lines, nil
}

func (s *Study) path(rel string) string { return filepath.Join(s.Dir, filepath.FromSlash(rel)) }

func (s *Study) readTxt() ([]byte, error) {
	st, err := os.Stat(s.path(analysis.CodelistsDir))
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("No 'codelists' folder found in %s: create codelists/codelists.txt first", s.Dir)
	}
	b, err := os.ReadFile(s.path(analysis.CodelistsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("No file found at 'codelists/codelists.txt': create it (it may be empty) first")
	}
	if err != nil {
		return nil, fmt.Errorf("reading codelists/codelists.txt: %w", err)
	}
	return b, nil
}

// readManifest returns the current manifest, nil if there is none.
func (s *Study) readManifest() (*analysis.Manifest, []byte, error) {
	b, err := os.ReadFile(s.path(analysis.ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading codelists/codelists.json: %w", err)
	}
	m, err := analysis.ParseManifest(b)
	if err != nil {
		return nil, b, fmt.Errorf("'codelists/codelists.json' is invalid: %w", err)
	}
	return m, b, nil
}

func (s *Study) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// FormatDownloadedAt formats t as opensafely-cli records downloaded_at: Python's str() of a
// UTC datetime plus "Z", so the microseconds are left out when they are zero.
func FormatDownloadedAt(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05") + "Z"
	}
	return t.Format("2006-01-02 15:04:05.000000") + "Z"
}

// fetched is one verified download waiting in the temporary folder.
type fetched struct {
	line analysis.CodelistLine
	sha  string
	body []byte
}

// fetchAll downloads and verifies lines, reporting progress; it stops at the first failure.
func (s *Study) fetchAll(ctx context.Context, lines []analysis.CodelistLine) ([]fetched, error) {
	out := make([]fetched, 0, len(lines))
	for i, l := range lines {
		s.progress(Progress{Done: i, Total: len(lines), ID: l.ID, Message: "Fetching " + l.ID})
		body, err := s.Client.Download(ctx, l)
		if err != nil {
			return nil, err
		}
		out = append(out, fetched{line: l, sha: analysis.CodelistSHA(body), body: body})
	}
	s.progress(Progress{Done: len(lines), Total: len(lines)})
	return out, nil
}

func (s *Study) progress(p Progress) {
	if s.Progress != nil {
		s.Progress(p)
	}
}

// Update downloads every codelist of codelists.txt (or those in opts.Only), then, only if
// all succeeded, replaces the CSVs, writes the manifest and deletes CSVs no longer listed.
func (s *Study) Update(ctx context.Context, opts UpdateOptions) (*Result, error) {
	txt, err := s.readTxt()
	if err != nil {
		return nil, err
	}
	lines, err := parseTxt(txt)
	if err != nil {
		return nil, err
	}
	return s.sync(ctx, nil, lines, opts)
}

// sync downloads lines (or opts.Only of them) and commits them, with newTxt (if not nil) as
// the new codelists.txt.
func (s *Study) sync(ctx context.Context, newTxt []byte, lines []analysis.CodelistLine, opts UpdateOptions) (*Result, error) {
	old, _, merr := s.readManifest()
	partial := len(opts.Only) > 0
	if merr != nil && partial {
		return nil, fmt.Errorf("%w\nRun `osls codelists update` to download every codelist and rewrite it", merr)
	}
	todo := lines
	if partial {
		byID := map[string]analysis.CodelistLine{}
		for _, l := range lines {
			byID[l.ID] = l
		}
		todo = nil
		for _, id := range opts.Only {
			l, ok := byID[strings.TrimRight(id, "/")]
			if !ok {
				return nil, fmt.Errorf("%s is not listed in codelists/codelists.txt", id)
			}
			todo = append(todo, l)
		}
	}
	got, err := s.fetchAll(ctx, todo)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// The new manifest: in codelists.txt's order for a full update, as opensafely-cli writes
	// it; otherwise the old one with the downloaded entries replaced or appended.
	res := &Result{}
	oldEntry := func(file string) (analysis.ManifestEntry, bool) {
		if old == nil {
			return analysis.ManifestEntry{}, false
		}
		return old.Lookup(file)
	}
	now := FormatDownloadedAt(s.now())
	entryFor := func(f fetched) analysis.ManifestEntry {
		e := analysis.ManifestEntry{File: f.line.Filename, ID: f.line.ID, URL: f.line.VersionURL(s.Client.BaseURL), DownloadedAt: now, SHA: f.sha}
		if o, ok := oldEntry(e.File); ok && o.SHA == e.SHA {
			e.DownloadedAt = o.DownloadedAt // no diff noise when nothing changed
		}
		return e
	}
	m := &analysis.Manifest{}
	if partial && old != nil {
		m.Entries = append(m.Entries, old.Entries...)
	}
	for _, f := range got {
		e := entryFor(f)
		replaced := false
		for i := range m.Entries {
			if m.Entries[i].File == e.File {
				m.Entries[i], replaced = e, true
			}
		}
		if !replaced {
			m.Entries = append(m.Entries, e)
		}
		res.Fetched = append(res.Fetched, f.line.ID)
		if o, ok := oldEntry(e.File); ok && o.SHA == e.SHA && s.fileSHA(f.line.Path()) == e.SHA {
			res.Unchanged = append(res.Unchanged, e.File)
		} else {
			res.Changed = append(res.Changed, e.File)
		}
	}

	// CSVs no longer listed, deleted by a full update.
	if !partial {
		listed := map[string]bool{}
		for _, l := range lines {
			listed[l.Filename] = true
		}
		matches, _ := filepath.Glob(filepath.Join(s.path(analysis.CodelistsDir), "*.csv"))
		for _, p := range matches {
			if name := filepath.Base(p); !listed[name] {
				res.Deleted = append(res.Deleted, name)
			}
		}
		if len(res.Deleted) > 0 && opts.ConfirmDelete != nil {
			if err := opts.ConfirmDelete(res.Deleted); err != nil {
				return nil, err
			}
		}
	}

	tx, err := newTxn(s.path(analysis.CodelistsDir))
	if err != nil {
		return nil, err
	}
	defer tx.cleanup()
	for _, f := range got {
		if err := tx.put(f.line.Filename, f.body); err != nil {
			return nil, tx.abort(err)
		}
	}
	for _, name := range res.Deleted {
		if err := tx.remove(name); err != nil {
			return nil, tx.abort(err)
		}
	}
	if err := tx.put(filepath.Base(analysis.ManifestFile), m.Marshal()); err != nil {
		return nil, tx.abort(err)
	}
	if newTxt != nil {
		if err := tx.put(filepath.Base(analysis.CodelistsFile), newTxt); err != nil {
			return nil, tx.abort(err)
		}
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Study) fileSHA(rel string) string {
	b, err := os.ReadFile(s.path(rel))
	if err != nil {
		return ""
	}
	return analysis.CodelistSHA(b)
}

// ParseCodelistArg turns what a user gives `add` into a codelists.txt line: an id such as
// "opensafely/asthma-diagnosis/2020-04-15", or an OpenCodelists URL of a version page, its
// download.csv or any page below it (anchors and queries are dropped). URLs must be on
// base's host or www.opencodelists.org.
func ParseCodelistArg(arg, base string) (string, error) {
	arg = strings.TrimSpace(arg)
	id := arg
	if strings.Contains(arg, "://") {
		u, err := url.Parse(arg)
		if err != nil {
			return "", fmt.Errorf("Unable to parse URL %q: %v", arg, err)
		}
		b, _ := url.Parse(base)
		if b == nil || (u.Host != b.Host && u.Host != "www.opencodelists.org" && u.Host != "opencodelists.org") {
			return "", fmt.Errorf("Unable to parse URL, %s is not an OpenCodelists address (expected %s)", arg, base)
		}
		p := strings.TrimPrefix(u.Path, "/")
		if !strings.HasPrefix(p, "codelist/") {
			return "", fmt.Errorf("%s is not a codelist version page: copy the address of a version, e.g. %s/codelist/opensafely/asthma-diagnosis/2020-04-15/", arg, base)
		}
		id = strings.TrimPrefix(p, "codelist/")
	}
	if i := strings.IndexByte(id, '#'); i >= 0 {
		id = id[:i]
	}
	id = strings.TrimRight(id, "/")
	if strings.HasSuffix(id, ".csv") {
		id = id[:strings.LastIndexByte(id, '/')+1]
	}
	l, ok := analysis.ParseCodelistLine(id)
	if !ok {
		return "", fmt.Errorf("%q is not a codelist: give an OpenCodelists URL or an id such as opensafely/asthma-diagnosis/2020-04-15", arg)
	}
	if l.Err != "" {
		return "", errors.New(l.Err)
	}
	if _, err := parseTxt([]byte(l.ID + "\n")); err != nil {
		return "", fmt.Errorf("%s: %s", l.ID, strings.Join(err.(*ParseError).Problems, "; "))
	}
	return l.ID, nil
}

// Add appends a codelist to codelists.txt and downloads it, all or nothing: codelists.txt,
// the CSV and the manifest change together, after the download has been verified. An id
// that is already listed is downloaded again if its CSV is missing; another version of a
// listed codelist is refused (change the line and run Update).
func (s *Study) Add(ctx context.Context, arg string) (*Result, error) {
	id, err := ParseCodelistArg(arg, s.Client.BaseURL)
	if err != nil {
		return nil, err
	}
	txt, err := s.readTxt()
	if err != nil {
		return nil, err
	}
	if _, err := parseTxt(txt); err != nil {
		return nil, fmt.Errorf("%w\nFix codelists.txt before adding to it", err)
	}
	nl := analysis.NewLines(txt)
	newLine, _ := analysis.ParseCodelistLine(id)
	for _, l := range analysis.ParseCodelistsTxt(txt) {
		if l.ID == id {
			snap := analysis.NewFSSnapshot(os.DirFS(s.Dir))
			if analysis.CodelistForPath(snap, l.Path()).Downloaded {
				return &Result{}, nil
			}
			return s.Update(ctx, UpdateOptions{Only: []string{id}})
		}
		if l.Codelist == newLine.Codelist {
			return nil, fmt.Errorf("codelists.txt already lists version %s of %s (line %d): change that line to %s and run `osls codelists update`", l.Version, l.Codelist, nl.Line(l.Entry.Start)+1, newLine.Version)
		}
	}
	newTxt := appendLine(txt, id)
	lines, err := parseTxt(newTxt)
	if err != nil {
		return nil, err
	}
	res, err := s.sync(ctx, newTxt, lines, UpdateOptions{Only: []string{id}})
	if err != nil {
		return nil, err
	}
	res.Added = id
	return res, nil
}

// AppendLineEdit returns the text to insert at the end of codelists.txt (txt) to add id, as
// Add writes it; the editor can apply it as a workspace edit.
func AppendLineEdit(txt []byte, id string) string {
	return string(appendLine(txt, id)[len(txt):])
}

// appendLine adds id on a line of its own at the end of txt, in the file's line-break style.
func appendLine(txt []byte, id string) []byte {
	br := "\n"
	if bytes.Contains(txt, []byte("\r\n")) {
		br = "\r\n"
	}
	out := append([]byte(nil), txt...)
	if len(out) > 0 && out[len(out)-1] != '\n' && out[len(out)-1] != '\r' {
		out = append(out, br...)
	}
	return append(out, id+br...)
}
