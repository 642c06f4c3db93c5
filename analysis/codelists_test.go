package analysis

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestParseCodelistsTxt(t *testing.T) {
	text := "# comment\n\n  opensafely/asthma-diagnosis/2020-04-15/  \r\nuser/jdoe/my-list/3f1a9c2e\rbad/line\nlast/one/v1"
	lines := ParseCodelistsTxt([]byte(text))
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 4: %+v", len(lines), lines)
	}
	want := []struct{ id, codelist, version, file, err string }{
		{"opensafely/asthma-diagnosis/2020-04-15", "opensafely/asthma-diagnosis", "2020-04-15", "opensafely-asthma-diagnosis.csv", ""},
		{"user/jdoe/my-list/3f1a9c2e", "user/jdoe/my-list", "3f1a9c2e", "user-jdoe-my-list.csv", ""},
		{"bad/line", "", "", "", "bad/line does not match [project]/[codelist]/[version] or user/[username]/[codelist]/[version]"},
		{"last/one/v1", "last/one", "v1", "last-one.csv", ""},
	}
	for i, w := range want {
		l := lines[i]
		if l.ID != w.id || l.Codelist != w.codelist || l.Version != w.version || l.Filename != w.file || l.Err != w.err {
			t.Errorf("line %d: got %+v, want %+v", i, l, w)
		}
		if got := text[l.Entry.Start:l.Entry.End]; got != w.id {
			t.Errorf("line %d: entry range covers %q", i, got)
		}
	}
	if got := text[lines[0].Full.Start:lines[0].Full.End]; got != "  opensafely/asthma-diagnosis/2020-04-15/  \r\n" {
		t.Errorf("full range of line 0 covers %q", got)
	}
	if got := lines[1].DownloadURL("http://x/"); got != "http://x/codelist/user/jdoe/my-list/3f1a9c2e/download.csv" {
		t.Errorf("download URL %q", got)
	}
}

func TestCodelistSHA(t *testing.T) {
	// sha1("a\nb") as Python computes it: the final newline is dropped and CRLF/CR count as LF.
	const base = "fcd127ffa1016069006ad91f3f361248f9bdf272"
	for _, in := range []string{"a\nb\n", "a\r\nb\r\n", "a\rb", "a\r\nb"} {
		if got := CodelistSHA([]byte(in)); got != base {
			t.Errorf("CodelistSHA(%q) = %s, want %s", in, got, base)
		}
	}
	if CodelistSHA([]byte("a\n\nb")) == base {
		t.Error("blank lines must count")
	}
	if got := CodelistSHA(nil); got != "da39a3ee5e6b4b0d3255bfef95601890afd80709" {
		t.Errorf("sha of nothing = %s", got)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	in := `{
  "files": {
    "opensafely-asthma-diagnosis.csv": {
      "id": "opensafely/asthma-diagnosis/2020-04-15",
      "url": "https://www.opencodelists.org/codelist/opensafely/asthma-diagnosis/2020-04-15/",
      "downloaded_at": "2025-02-03 10:11:12.345678Z",
      "sha": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
    },
    "user-jdoe-caf\u00e9.csv": {
      "id": "user/jdoe/caf\u00e9/v1",
      "url": "u",
      "downloaded_at": "2025-02-03 10:11:12Z",
      "sha": "x"
    }
  }
}`
	m, err := ParseManifest([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) != 2 || m.Entries[1].ID != "user/jdoe/café/v1" {
		t.Fatalf("entries %+v", m.Entries)
	}
	if got := string(m.Marshal()); got != in {
		t.Errorf("marshal:\n%s\nwant\n%s", got, in)
	}
	if e := m.Entries[1]; in[e.KeyOffset] != '"' || !strings.HasPrefix(in[e.KeyOffset:], `"user-jdoe`) {
		t.Errorf("key offset %d points at %q", e.KeyOffset, in[e.KeyOffset:e.KeyOffset+10])
	}
	if got := string((&Manifest{}).Marshal()); got != "{\n  \"files\": {}\n}" {
		t.Errorf("empty manifest %q", got)
	}
	for _, bad := range []string{"", "[]", "{", `{"files": []}`, `{"other": 1}`, `{"files": {"a": 1}}`, `{"files": {}} x`} {
		if _, err := ParseManifest([]byte(bad)); err == nil {
			t.Errorf("ParseManifest(%q) succeeded", bad)
		}
	}
}

// study builds a MapSnapshot with a consistent manifest for the given CSVs (file → content).
func study(txt string, csvs map[string]string) MapSnapshot {
	m := &Manifest{}
	snap := MapSnapshot{CodelistsFile: txt, ProjectFile: "version: '4.0'\nactions: {}\n"}
	for _, l := range ParseCodelistsTxt([]byte(txt)) {
		body, ok := csvs[l.Filename]
		if !ok || l.Err != "" {
			continue
		}
		m.Entries = append(m.Entries, ManifestEntry{File: l.Filename, ID: l.ID, URL: l.VersionURL("https://www.opencodelists.org"), DownloadedAt: "2025-01-01 00:00:00Z", SHA: CodelistSHA([]byte(body))})
	}
	snap[ManifestFile] = string(m.Marshal())
	for f, body := range csvs {
		snap[CodelistsDir+"/"+f] = body
	}
	return snap
}

func codesOf(ds []Diagnostic) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.Code)
	}
	return strings.Join(s, " ")
}

func TestCheckCodelists(t *testing.T) {
	csv := "code,term\n1,a\n"
	good := "# my codelists\nopensafely/asthma/v1\nuser/jdoe/my-list/3f1a9c2e/\n"
	goodCSVs := map[string]string{"opensafely-asthma.csv": csv, "user-jdoe-my-list.csv": csv}
	tests := []struct {
		name  string
		snap  MapSnapshot
		codes string
	}{
		{"consistent", study(good, goodCSVs), ""},
		{"empty", MapSnapshot{CodelistsFile: ""}, ""},
		{"no codelists.txt", MapSnapshot{}, ""},
		{"syntax", study("a/b\n", nil), "CL001"},
		{"four parts without user", study("org/x/y/v1\n", map[string]string{"org-x-y.csv": csv}), "CL002"},
		{"bad characters", study("org/x.y/v1\n", map[string]string{"org-x.y.csv": csv}), "CL002"},
		{"inline comment", study("org/x/v1 # note\n", map[string]string{"org-x.csv": csv}), "CL003"},
		{"duplicate", study("org/x/v1\norg/x/v1\n", map[string]string{"org-x.csv": csv}), "CL010"},
		{"conflict", study("org/x/v1\norg/x/v2\n", map[string]string{"org-x.csv": csv}), "CL011"},
		{"filename collision", study("a-b/c/v1\na/b-c/v1\n", map[string]string{"a-b-c.csv": csv}), "CL012"},
		{"csv missing", study(good, map[string]string{"opensafely-asthma.csv": csv}), "CL022"},
		{"unlisted csv", study(good, map[string]string{"opensafely-asthma.csv": csv, "user-jdoe-my-list.csv": csv, "mine.csv": csv}), "CL026"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := codesOf(CheckCodelists(tc.snap)); got != tc.codes {
				t.Errorf("codes %q, want %q", got, tc.codes)
			}
		})
	}

	t.Run("manifest problems", func(t *testing.T) {
		s := study(good, goodCSVs)
		delete(s, ManifestFile)
		if got := codesOf(CheckCodelists(s)); got != "CL020" {
			t.Errorf("no manifest: %q", got)
		}
		s[ManifestFile] = "{ not json"
		if got := codesOf(CheckCodelists(s)); got != "CL021" {
			t.Errorf("bad manifest: %q", got)
		}
		s = study(good, goodCSVs)
		s[CodelistsFile] = good + "org/new/v1\n"
		s["codelists/org-new.csv"] = csv
		if got := codesOf(CheckCodelists(s)); got != "CL023" {
			t.Errorf("edited txt: %q", got)
		}
		s = study(good, goodCSVs)
		s["codelists/opensafely-asthma.csv"] = "code,term\r\n1,a\r\n" // CRLF still matches
		if got := codesOf(CheckCodelists(s)); got != "" {
			t.Errorf("CRLF: %q", got)
		}
		s["codelists/opensafely-asthma.csv"] = "code,term\n1,b\n"
		ds := CheckCodelists(s)
		if got := codesOf(ds); got != "CL024" {
			t.Fatalf("modified CSV: %q", got)
		}
		if len(ds[0].Related) != 1 || ds[0].Related[0].File != ManifestFile {
			t.Errorf("related %+v", ds[0].Related)
		}
		s = study(good, goodCSVs)
		s[CodelistsFile] = "opensafely/asthma/v1\n"
		delete(s, "codelists/user-jdoe-my-list.csv")
		if got := codesOf(CheckCodelists(s)); got != "CL025" {
			t.Errorf("removed line: %q", got)
		}
	})
}

func TestCodelistFixes(t *testing.T) {
	apply := func(text string, f Fix) string {
		edits := append([]TextEdit(nil), f.Edits...)
		sort.Slice(edits, func(i, j int) bool { return edits[i].Range.Start > edits[j].Range.Start })
		for _, e := range edits {
			text = text[:e.Range.Start] + e.NewText + text[e.Range.End:]
		}
		return text
	}
	csv := map[string]string{"org-x.csv": "code\n1\n"}
	tests := []struct {
		txt, fix, want string
	}{
		{"org/x/v1\norg/x/v1\n", "Remove the duplicate line", "org/x/v1\n"},
		{"org/x/v1\r\n  org/x/v2\r\n", "Keep version v2", "  org/x/v2\r\n"},
		{"org/x/v1\n  org/x/v2", "Keep version v1", "org/x/v1\n"},
		{"  org/x/v1 # why\n", "Move the comment to its own line", "  # why\n  org/x/v1\n"},
	}
	for _, tc := range tests {
		var got string
		found := false
		for _, d := range CheckCodelists(study(tc.txt, csv)) {
			for _, f := range d.Fixes {
				if f.Title == tc.fix {
					got, found = apply(tc.txt, f), true
				}
			}
		}
		if !found {
			t.Errorf("%q: no fix %q", tc.txt, tc.fix)
		} else if got != tc.want {
			t.Errorf("%q: fix gives %q, want %q", tc.txt, got, tc.want)
		}
	}
}

func TestCodelistForPath(t *testing.T) {
	s := study("org/x/v1\norg/y/v1\n", map[string]string{"org-x.csv": "code\n1\n"})
	s["codelists/local.csv"] = "code\n1\n"
	s["local_codelists/mine.csv"] = "code\n1\n"
	tests := []struct {
		path                                    string
		inCodelists, listed, exists, downloaded bool
	}{
		{"codelists/org-x.csv", true, true, true, true},
		{"./codelists/org-y.csv", true, true, false, false},
		{"codelists/local.csv", true, false, true, false},
		{"codelists/nothing.csv", true, false, false, false},
		{"local_codelists/mine.csv", false, false, true, false},
	}
	for _, tc := range tests {
		st := CodelistForPath(s, tc.path)
		if st.InCodelists != tc.inCodelists || st.Listed != tc.listed || st.Exists != tc.exists || st.Downloaded != tc.downloaded {
			t.Errorf("%s: %+v", tc.path, st)
		}
	}
	if st := CodelistForPath(s, "codelists/org-x.csv"); st.Line.ID != "org/x/v1" || st.Entry.SHA == "" {
		t.Errorf("line/entry not filled: %+v", st)
	}
}

func TestDescribeCSV(t *testing.T) {
	info, err := DescribeCSV([]byte("\ufeffcode,term\r\n1,\"a, b\"\r\n2,c\r\n"))
	if err != nil || fmt.Sprint(info.Columns) != "[code term]" || info.Rows != 2 {
		t.Errorf("got %+v, %v", info, err)
	}
	for _, bad := range []string{"", "  \n", "<!DOCTYPE html><html></html>", "code,term\n\"unterminated\n", "\xff\xfe"} {
		if _, err := DescribeCSV([]byte(bad)); err == nil {
			t.Errorf("DescribeCSV(%q) succeeded", bad)
		}
	}
}

func FuzzParseCodelistsTxt(f *testing.F) {
	for _, s := range []string{"", "a/b/c", "# x\n user/a/b/c/ \r\nx/y\r", "a/b/c # d\na/b/c\na/b/d\n", "\u00a0a/b/c\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := ParseCodelistsTxt([]byte(text))
		prev := 0
		for _, l := range lines {
			if l.Full.Start < prev || l.Line.End > l.Full.End || l.Entry.Start < l.Line.Start || l.Entry.End > l.Line.End {
				t.Fatalf("bad ranges %+v", l)
			}
			if text[l.Entry.Start:l.Entry.End] != l.ID {
				t.Fatalf("entry range %v covers %q, not %q", l.Entry, text[l.Entry.Start:l.Entry.End], l.ID)
			}
			prev = l.Full.End
		}
		snap := MapSnapshot{CodelistsFile: text, ManifestFile: text}
		for _, d := range CheckCodelists(snap) {
			if d.Range.Start < 0 || d.Range.End < d.Range.Start {
				t.Fatalf("bad range %+v", d)
			}
		}
		_ = CodelistSHA([]byte(text))
		if m, err := ParseManifest([]byte(text)); err == nil {
			if _, err := ParseManifest(m.Marshal()); err != nil {
				t.Fatalf("marshalled manifest does not parse: %v", err)
			}
		}
	})
}

// TestCorpusCodelists runs the local codelists check on every real study. Consistent
// studies must get no errors; the known genuine problems must be reported exactly.
func TestCorpusCodelists(t *testing.T) {
	dir := corpusDir(t)
	repos, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]int{
		// A CSV edited after download (its SHA differs from the manifest).
		"opensafely__prophy_effects_Sotro_Molnup CL024 codelists/codelists.txt": 1,
		// Five listed codelists never downloaded, three downloaded without `update`.
		"MomeMukherjee__winter-ari-hospitalisation-crd CL022 codelists/codelists.txt": 5,
		"MomeMukherjee__winter-ari-hospitalisation-crd CL023 codelists/codelists.txt": 3,
		// Twelve manifest entries for codelists no longer listed (and whose files are gone).
		"andrewscolm__statins_doi CL025 codelists/codelists.json": 12,
	}
	got := map[string]int{}
	warnings := map[string]int{}
	checked, roundTrips := 0, 0
	for _, r := range repos {
		if !r.IsDir() {
			continue
		}
		root := filepath.Join(dir, r.Name())
		if _, err := os.Stat(filepath.Join(root, "codelists", "codelists.txt")); err != nil {
			continue
		}
		checked++
		snap := newListedSnapshot(t, root)
		for _, d := range CheckCodelists(snap) {
			if d.Severity == SeverityError {
				got[r.Name()+" "+d.Code+" "+d.File]++
			} else {
				warnings[d.Code]++
			}
		}
		if b, err := os.ReadFile(filepath.Join(root, "codelists", "codelists.json")); err == nil {
			if m, err := ParseManifest(b); err != nil {
				t.Errorf("%s: %v", r.Name(), err)
			} else if string(m.Marshal()) == strings.ReplaceAll(string(b), "\r\n", "\n") { // one manifest has CRLF line ends
				roundTrips++
			}
		}
	}
	for k, n := range got {
		if known[k] != n {
			t.Errorf("%s: %d errors, want %d", k, n, known[k])
		}
	}
	for k, n := range known {
		if got[k] != n {
			t.Errorf("%s: %d errors, want %d", k, got[k], n)
		}
	}
	// 19 CSVs in 4 repos sit in codelists/ without being listed: warnings, not errors.
	if warnings["CL026"] != 19 || len(warnings) != 1 {
		t.Errorf("warnings %v, want 19 CL026", warnings)
	}
	if roundTrips != checked {
		t.Errorf("%d of %d manifests are rewritten byte for byte", roundTrips, checked)
	}
	t.Logf("%d studies with codelists checked", checked)
}
