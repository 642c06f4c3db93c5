package analysis

// This file understands a study's codelists folder the way opensafely-cli does:
//
//	codelists/codelists.txt   one codelist version per line (org/slug/version or user/name/slug/version)
//	codelists/codelists.json  the manifest written by `update`: file name → id, url, downloaded_at, sha
//	codelists/<file>.csv      one downloaded CSV per line; the file name drops the version
//
// Everything here is pure: the opencodelists package does the downloading and writing, and
// calls back into these functions so that the CLI, the editor and the downloader agree on
// what a line means and what a SHA is.

import (
	"bytes"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Paths of the codelists folder, relative to the study root.
const (
	CodelistsDir  = "codelists"
	CodelistsFile = "codelists/codelists.txt"
	ManifestFile  = "codelists/codelists.json"
)

// CodelistLine is one entry of codelists.txt (blank and comment lines are not entries).
type CodelistLine struct {
	Line   Range  // the physical line, without its line break
	Full   Range  // the physical line with its line break (what deleting the line removes)
	Entry  Range  // the entry itself: the line trimmed of spaces and trailing slashes
	ID     string // the entry text, e.g. "opensafely/asthma-diagnosis/2020-04-15"
	Tokens []string
	// Err is set when the line does not have 3 or 4 parts, in opensafely-cli's words;
	// then Codelist, Version and Filename are empty.
	Err      string
	Codelist string // the ID without its version, e.g. "opensafely/asthma-diagnosis"
	Version  string // the last part: a tag such as a date, or an 8-hex version id
	Filename string // the CSV's name inside codelists/, e.g. "opensafely-asthma-diagnosis.csv"
}

// Path returns the CSV's path relative to the study root ("" for a malformed line).
func (l CodelistLine) Path() string {
	if l.Filename == "" {
		return ""
	}
	return CodelistsDir + "/" + l.Filename
}

// VersionURL returns the page of this codelist version on the OpenCodelists server at base
// (e.g. "https://www.opencodelists.org"); it is what the manifest's url records.
func (l CodelistLine) VersionURL(base string) string {
	return strings.TrimRight(base, "/") + "/codelist/" + l.ID + "/"
}

// DownloadURL returns the URL of the CSV that `update` downloads.
func (l CodelistLine) DownloadURL(base string) string { return l.VersionURL(base) + "download.csv" }

// ParseCodelistLine parses a single entry (a line of codelists.txt without its break, or an id
// typed by the user) as opensafely-cli does. ok is false for blank and comment lines.
func ParseCodelistLine(s string) (line CodelistLine, ok bool) {
	id := strings.TrimRight(strings.TrimSpace(s), "/")
	if id == "" || strings.HasPrefix(id, "#") {
		return CodelistLine{}, false
	}
	line.ID = id
	line.Tokens = strings.Split(id, "/")
	if n := len(line.Tokens); n != 3 && n != 4 {
		line.Err = id + " does not match [project]/[codelist]/[version] or user/[username]/[codelist]/[version]"
		return line, true
	}
	head := line.Tokens[:len(line.Tokens)-1]
	line.Codelist = strings.Join(head, "/")
	line.Version = line.Tokens[len(line.Tokens)-1]
	line.Filename = strings.Join(head, "-") + ".csv"
	return line, true
}

// ParseCodelistsTxt splits codelists.txt into its entries, with byte ranges. Lines end at
// "\n", "\r\n" or "\r", as Python's splitlines does for the CLI.
func ParseCodelistsTxt(text []byte) []CodelistLine {
	var out []CodelistLine
	for start := 0; start < len(text); {
		end, next := lineEnd(text, start)
		raw := string(text[start:end])
		if l, ok := ParseCodelistLine(raw); ok {
			lead := len(raw) - len(strings.TrimLeft(raw, " \t\v\f\u00a0\u0085"))
			if lead+len(l.ID) > len(raw) || raw[lead:lead+len(l.ID)] != l.ID {
				// Unicode white space that TrimLeft above does not know: fall back to a search.
				lead = max(strings.Index(raw, l.ID), 0)
			}
			l.Line = Range{start, end}
			l.Full = Range{start, next}
			l.Entry = Range{start + lead, start + lead + len(l.ID)}
			out = append(out, l)
		}
		start = next
	}
	return out
}

// lineEnd returns the end of the line starting at start and the start of the next one.
func lineEnd(text []byte, start int) (end, next int) {
	for i := start; i < len(text); i++ {
		switch text[i] {
		case '\n':
			return i, i + 1
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				return i, i + 2
			}
			return i, i + 1
		}
	}
	return len(text), len(text)
}

// CodelistLineAt returns the entry whose physical line contains offset off.
func CodelistLineAt(lines []CodelistLine, off int) (CodelistLine, bool) {
	for _, l := range lines {
		if l.Line.Contains(off) {
			return l, true
		}
	}
	return CodelistLine{}, false
}

// serverPatternProblem says why OpenCodelists' /api/v1/check/ would reject a well-formed
// line ("" if it would not): four parts must start with "user", and owner and codelist
// slugs may hold only letters, digits, "_", "|" and "-".
func serverPatternProblem(l CodelistLine) string {
	for i, t := range l.Tokens {
		if t == "" {
			return fmt.Sprintf("part %d is empty", i+1)
		}
	}
	if len(l.Tokens) == 4 && l.Tokens[0] != "user" {
		return "a line with four parts must start with user/ (user/<username>/<codelist>/<version>)"
	}
	slugs := l.Tokens[:len(l.Tokens)-1]
	if len(slugs) == 3 {
		slugs = slugs[1:]
	}
	for _, s := range slugs {
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '|' || r == '-') {
				return fmt.Sprintf("%q contains %q; owner and codelist names use only letters, digits, _ and -", s, r)
			}
		}
	}
	return ""
}

// CodelistSHA returns the SHA-1 that opensafely-cli records for a CSV: the hex digest of the
// bytes after splitting into lines at "\r\n", "\r" or "\n" and joining them with "\n" (so
// line endings do not matter and the final line break is dropped). Python's bytes.splitlines
// splits only at those three.
func CodelistSHA(data []byte) string {
	h := sha1.New()
	first := true
	for start := 0; start < len(data); {
		end, next := lineEnd(data, start)
		if !first {
			h.Write([]byte{'\n'})
		}
		first = false
		h.Write(data[start:end])
		start = next
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ManifestEntry is one file of codelists.json.
type ManifestEntry struct {
	File         string // the key: the CSV's name relative to codelists/
	ID           string
	URL          string
	DownloadedAt string // opaque; opensafely-cli writes "YYYY-MM-DD HH:MM:SS[.ffffff]Z"
	SHA          string
	KeyOffset    int // byte offset of the key in the manifest text (for diagnostics)
}

// Manifest is codelists.json with its entries in file order.
type Manifest struct {
	Entries []ManifestEntry
}

// Lookup returns the entry for a file name.
func (m *Manifest) Lookup(file string) (ManifestEntry, bool) {
	for _, e := range m.Entries {
		if e.File == file {
			return e, true
		}
	}
	return ManifestEntry{}, false
}

// HasID reports whether some entry records id (trailing slashes ignored).
func (m *Manifest) HasID(id string) bool {
	id = strings.TrimRight(id, "/")
	for _, e := range m.Entries {
		if strings.TrimRight(e.ID, "/") == id {
			return true
		}
	}
	return false
}

// ManifestError is a manifest that cannot be used, with the byte offset of the problem.
type ManifestError struct {
	Offset int
	Msg    string
}

func (e *ManifestError) Error() string { return e.Msg }

// ParseManifest reads codelists.json, keeping the order of files. Unknown fields are
// ignored; a missing "files" object or a non-object entry is an error.
func ParseManifest(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	fail := func(msg string) error {
		return &ManifestError{Offset: int(dec.InputOffset()), Msg: msg}
	}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fail("codelists.json is not a JSON object: " + jsonMsg(err))
	}
	m := &Manifest{}
	found := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, fail(jsonMsg(err))
		}
		if key != "files" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail(jsonMsg(err))
			}
			continue
		}
		found = true
		if err := expectDelim(dec, '{'); err != nil {
			return nil, fail(`"files" is not a JSON object`)
		}
		for dec.More() {
			off := int(dec.InputOffset())
			tok, err := dec.Token()
			if err != nil {
				return nil, fail(jsonMsg(err))
			}
			name, _ := tok.(string)
			var fields map[string]any
			if err := dec.Decode(&fields); err != nil || fields == nil {
				return nil, fail(fmt.Sprintf("the entry for %q is not a JSON object", name))
			}
			e := ManifestEntry{File: name, KeyOffset: keyStart(data, off)}
			e.ID, _ = fields["id"].(string)
			e.URL, _ = fields["url"].(string)
			e.DownloadedAt, _ = fields["downloaded_at"].(string)
			e.SHA, _ = fields["sha"].(string)
			m.Entries = append(m.Entries, e)
		}
		if _, err := dec.Token(); err != nil {
			return nil, fail(jsonMsg(err))
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fail(jsonMsg(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail("unexpected text after the JSON object")
	}
	if !found {
		return nil, &ManifestError{Msg: `codelists.json has no "files" object`}
	}
	return m, nil
}

// keyStart skips the separators and space between the previous token (at off) and a key.
func keyStart(data []byte, off int) int {
	for off < len(data) && (data[off] == ',' || data[off] == ' ' || data[off] == '\n' || data[off] == '\r' || data[off] == '\t') {
		off++
	}
	return off
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("expected %q", string(d))
	}
	return nil
}

func jsonMsg(err error) string {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of codelists.json"
	}
	return err.Error()
}

// Marshal writes the manifest byte for byte as opensafely-cli does (Python's
// json.dumps(indent=2): two-space indent, ", " never used, non-ASCII escaped, no final newline).
func (m *Manifest) Marshal() []byte {
	var b bytes.Buffer
	if len(m.Entries) == 0 {
		b.WriteString("{\n  \"files\": {}\n}")
		return b.Bytes()
	}
	b.WriteString("{\n  \"files\": {\n")
	for i, e := range m.Entries {
		fmt.Fprintf(&b, "    %s: {\n", pyJSONString(e.File))
		fmt.Fprintf(&b, "      \"id\": %s,\n", pyJSONString(e.ID))
		fmt.Fprintf(&b, "      \"url\": %s,\n", pyJSONString(e.URL))
		fmt.Fprintf(&b, "      \"downloaded_at\": %s,\n", pyJSONString(e.DownloadedAt))
		fmt.Fprintf(&b, "      \"sha\": %s\n", pyJSONString(e.SHA))
		b.WriteString("    }")
		if i < len(m.Entries)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  }\n}")
	return b.Bytes()
}

// pyJSONString quotes s as Python's json.dumps does with ensure_ascii.
func pyJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || r == utf8.RuneError:
				fmt.Fprintf(&b, `\u%04x`, r)
			case r < 0x7f:
				b.WriteRune(r)
			case r > 0xffff:
				r -= 0x10000
				fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// CSVInfo describes a downloaded codelist CSV, for hover and for checking downloads.
type CSVInfo struct {
	Columns []string
	Rows    int // data rows, not counting the header
}

// DescribeCSV parses a codelist CSV (header row plus data rows). It fails on text that is
// not CSV, such as an HTML page, and on a file with no header.
func DescribeCSV(data []byte) (CSVInfo, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return CSVInfo{}, errors.New("the CSV is not valid UTF-8 text")
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return CSVInfo{}, errors.New("the CSV is empty")
	}
	if trimmed[0] == '<' {
		return CSVInfo{}, errors.New("this is an HTML page, not a CSV")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return CSVInfo{}, fmt.Errorf("reading the CSV header: %w", err)
	}
	info := CSVInfo{Columns: header}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return CSVInfo{}, fmt.Errorf("reading the CSV: %w", err)
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		info.Rows++
	}
	return info, nil
}

// CodelistStatus says how a CSV path used by a dataset definition relates to codelists.txt.
type CodelistStatus struct {
	Path string // the path, cleaned and relative to the study root
	// InCodelists is true when the path is a CSV directly in codelists/, the folder that
	// `update` manages; other paths (local_codelists/, sub-folders) are the study's own.
	InCodelists bool
	Listed      bool         // a line of codelists.txt downloads to this path
	Line        CodelistLine // that line, when Listed
	Exists      bool         // the CSV is in the snapshot
	Entry       ManifestEntry
	InManifest  bool // the manifest has an entry for the file
	// Downloaded is true when the file exists and the manifest records the listed version.
	Downloaded bool
}

// CodelistForPath tells whether csvPath (as passed to codelist_from_csv, relative to the
// study root) is listed in codelists.txt and downloaded. Paths outside codelists/ are
// reported with InCodelists false: they are not managed by OpenCodelists.
func CodelistForPath(snap Snapshot, csvPath string) CodelistStatus {
	p := path.Clean(strings.TrimPrefix(strings.ReplaceAll(csvPath, `\`, "/"), "./"))
	st := CodelistStatus{Path: p, Exists: snap.Exists(p)}
	dir, file := path.Split(p)
	st.InCodelists = dir == CodelistsDir+"/" && strings.HasSuffix(strings.ToLower(file), ".csv")
	if !st.InCodelists {
		return st
	}
	if text, err := snap.ReadFile(CodelistsFile); err == nil {
		for _, l := range ParseCodelistsTxt(text) {
			if l.Filename == file {
				st.Listed, st.Line = true, l
				break
			}
		}
	}
	if data, err := snap.ReadFile(ManifestFile); err == nil {
		if m, err := ParseManifest(data); err == nil {
			st.Entry, st.InManifest = m.Lookup(file)
		}
	}
	st.Downloaded = st.Exists && st.Listed && st.InManifest &&
		strings.TrimRight(st.Entry.ID, "/") == st.Line.ID
	return st
}

// CheckCodelists checks codelists/codelists.txt against itself, the manifest and the CSVs,
// as `opensafely codelists check` does locally, reporting every problem at once. It returns
// nil when the study has no codelists.txt.
func CheckCodelists(snap Snapshot) []Diagnostic {
	text, err := snap.ReadFile(CodelistsFile)
	if err != nil {
		return nil
	}
	lines := ParseCodelistsTxt(text)
	var ds []Diagnostic
	diag := func(r Range, c Code, msg string) *Diagnostic {
		ds = append(ds, Diagnostic{File: CodelistsFile, Range: r, Severity: c.Severity, Code: c.ID, Message: msg})
		return &ds[len(ds)-1]
	}

	// Lines on their own, then against each other.
	var good []CodelistLine
	byCodelist := map[string]CodelistLine{}
	byFile := map[string]CodelistLine{}
	for _, l := range lines {
		if l.Err != "" {
			diag(l.Entry, CodeCodelistSyntax, l.Err)
			continue
		}
		if p := serverPatternProblem(l); p != "" {
			diag(l.Entry, CodeCodelistPattern, "OpenCodelists will not accept this line: "+p)
		}
		if i := strings.IndexAny(l.ID, " \t#"); i >= 0 {
			d := diag(Range{l.Entry.Start + i, l.Entry.End}, CodeCodelistInline,
				fmt.Sprintf("codelists.txt has no inline comments: the version is read as %q", l.Version))
			if fix, ok := inlineCommentFix(text, l); ok {
				d.Fixes = []Fix{fix}
			}
		}
		if prev, ok := byCodelist[l.Codelist]; ok {
			if prev.Version == l.Version {
				d := diag(l.Entry, CodeCodelistDuplicate, l.ID+" is a duplicate of a previous line")
				d.Related = []Related{{File: CodelistsFile, Range: prev.Entry, Message: "first listed here"}}
				d.Fixes = []Fix{{Title: "Remove the duplicate line", Edits: []TextEdit{{Range: l.Full}}}}
			} else {
				d := diag(l.Entry, CodeCodelistConflict, fmt.Sprintf("%s conflicts with a different version of the same codelist: %s", l.ID, prev.Version))
				d.Related = []Related{{File: CodelistsFile, Range: prev.Entry, Message: "version " + prev.Version + " is listed here"}}
				d.Fixes = []Fix{
					{Title: "Keep version " + l.Version, Edits: []TextEdit{{Range: prev.Full}}},
					{Title: "Keep version " + prev.Version, Edits: []TextEdit{{Range: l.Full}}},
				}
			}
			continue
		}
		byCodelist[l.Codelist] = l
		if prev, ok := byFile[l.Filename]; ok {
			d := diag(l.Entry, CodeCodelistFilename, fmt.Sprintf("%s and %s would both be downloaded to codelists/%s", prev.Codelist, l.Codelist, l.Filename))
			d.Related = []Related{{File: CodelistsFile, Range: prev.Entry, Message: "the other codelist"}}
			continue
		}
		byFile[l.Filename] = l
		good = append(good, l)
	}

	// The manifest.
	var manifest *Manifest
	mdata, merr := snap.ReadFile(ManifestFile)
	switch {
	case merr != nil && len(good) > 0:
		diag(good[0].Entry, CodeCodelistNoManifest, "No file found at 'codelists/codelists.json': run `osls codelists update` to download the codelists and record them")
	case merr == nil:
		m, err := ParseManifest(mdata)
		if err != nil {
			off := 0
			var me *ManifestError
			if errors.As(err, &me) {
				off = min(me.Offset, len(mdata))
			}
			ds = append(ds, Diagnostic{File: ManifestFile, Range: Range{off, off}, Severity: CodeCodelistBadManifest.Severity, Code: CodeCodelistBadManifest.ID,
				Message: "'codelists/codelists.json' is invalid (" + err.Error() + "); it is generated: run `osls codelists update` rather than editing it"})
		} else {
			manifest = m
		}
	}

	// Each listed codelist against its CSV and the manifest.
	for _, l := range good {
		data, err := snap.ReadFile(l.Path())
		if err != nil {
			diag(l.Entry, CodeCodelistCSVMissing, fmt.Sprintf("%s has not been downloaded (no %s): run `osls codelists update`", l.ID, l.Path()))
			continue
		}
		if manifest == nil {
			continue
		}
		e, ok := manifest.Lookup(l.Filename)
		if !ok || strings.TrimRight(e.ID, "/") != l.ID {
			msg := fmt.Sprintf("codelists.json does not record %s: codelists.txt has been edited but `update` has not been run", l.ID)
			if ok {
				msg = fmt.Sprintf("codelists.json records %s for %s, not %s: run `osls codelists update`", e.ID, l.Filename, l.ID)
			}
			diag(l.Entry, CodeCodelistNotInManif, msg)
			continue
		}
		if sha := CodelistSHA(data); sha != e.SHA {
			d := diag(l.Entry, CodeCodelistSHAMismatch, fmt.Sprintf("%s has been modified since it was downloaded (SHA-1 %s, codelists.json records %s): run `osls codelists update` to download it again", l.Path(), short(sha), short(e.SHA)))
			d.Related = []Related{{File: ManifestFile, Range: Range{e.KeyOffset, e.KeyOffset + len(strconv.Quote(e.File))}, Message: "recorded here"}}
		}
	}

	// Manifest entries and CSVs that codelists.txt does not list.
	listedIDs := map[string]bool{}
	listedFiles := map[string]bool{}
	for _, l := range lines {
		listedIDs[l.ID] = true
		if l.Filename != "" {
			listedFiles[l.Filename] = true
		}
	}
	inManifest := map[string]bool{}
	if manifest != nil {
		for _, e := range manifest.Entries {
			inManifest[e.File] = true
			if listedIDs[strings.TrimRight(e.ID, "/")] || listedFiles[e.File] {
				continue
			}
			r := Range{e.KeyOffset, e.KeyOffset + len(strconv.Quote(e.File))}
			ds = append(ds, Diagnostic{File: ManifestFile, Range: r, Severity: CodeCodelistStaleEntry.Severity, Code: CodeCodelistStaleEntry.ID,
				Message: fmt.Sprintf("codelists.json records %s, which codelists.txt does not list: run `osls codelists update`", e.ID)})
		}
	}
	for _, f := range snap.Files() {
		dir, name := path.Split(f)
		if dir != CodelistsDir+"/" || !strings.HasSuffix(strings.ToLower(name), ".csv") || listedFiles[name] || inManifest[name] {
			continue
		}
		ds = append(ds, Diagnostic{File: f, Severity: CodeCodelistUnlistedCSV.Severity, Code: CodeCodelistUnlistedCSV.ID,
			Message: fmt.Sprintf("%s is not listed in codelists/codelists.txt: `opensafely codelists check` rejects it and `update` deletes it; keep your own codelists in local_codelists/", f)})
	}
	SortDiagnostics(ds)
	return ds
}

// inlineCommentFix moves "# comment" after an entry to its own line above it.
func inlineCommentFix(text []byte, l CodelistLine) (Fix, bool) {
	hash := strings.IndexByte(l.ID, '#')
	if hash <= 0 {
		return Fix{}, false
	}
	entry := strings.TrimSpace(l.ID[:hash])
	comment := strings.TrimSpace(l.ID[hash:])
	indent := string(text[l.Line.Start:l.Entry.Start])
	return Fix{Title: "Move the comment to its own line", Edits: []TextEdit{
		{Range: l.Entry, NewText: comment + lineBreakOf(text, l) + indent + entry},
	}}, true
}

// lineBreakOf returns the line break used after l ("\n" when it is the last line).
func lineBreakOf(text []byte, l CodelistLine) string {
	if l.Full.End > l.Line.End {
		return string(text[l.Line.End:l.Full.End])
	}
	return "\n"
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	if sha == "" {
		return "nothing"
	}
	return sha
}
