package opencodelists

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/opencodelists/fake"
)

const (
	asthmaCSV = "code,term\n195967001,Asthma\n233678006,Childhood asthma\n"
	dmdCSV    = "code,term,dmd_id,category\r\n39113311000001107,Example inhaler,39113311000001107,saba\r\n"
	copdCSV   = "code,term\n13645005,COPD\n"
)

func newFake() *fake.Server {
	return fake.New(
		fake.Version{ID: "opensafely/asthma-diagnosis/2020-04-15", Name: "Asthma Diagnosis", CodingSystem: "snomedct", CSV: asthmaCSV},
		fake.Version{ID: "user/jdoe/my-meds/ab12cd34", Name: "My meds", CodingSystem: "dmd", CSV: dmdCSV},
		fake.Version{ID: "opensafely/copd/v1", Name: "COPD", CodingSystem: "snomedct", CSV: copdCSV},
		fake.Version{ID: "opensafely/draft-list/v1", Status: "draft", CSV: copdCSV},
		fake.Version{ID: "opensafely/html-list/v1", HTML: true},
		fake.Version{ID: "opensafely/slow-list/v1", Delay: 2 * time.Second, CSV: copdCSV},
		fake.Version{ID: "opensafely/dropped-list/v1", Drop: true, CSV: strings.Repeat("code,term\n1,x\n", 2000)},
		fake.Version{ID: "opensafely/old-upload/v1", NotDownloadable: true},
	)
}

// testClient has short timeouts and backoff so failure tests are fast.
func testClient(base string) *Client {
	c := NewClient(base, "v0.0.0-test")
	c.Timeout = 300 * time.Millisecond
	c.Retries = 2
	c.Backoff = time.Millisecond
	return c
}

var fixedNow = time.Date(2025, 2, 3, 10, 11, 12, 345678000, time.UTC)

func newStudy(t *testing.T, srv *fake.Server, txt string) *Study {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "codelists"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "codelists", "codelists.txt"), []byte(txt), 0o644); err != nil {
		t.Fatal(err)
	}
	return &Study{Dir: dir, Client: testClient(srv.URL), Now: func() time.Time { return fixedNow }}
}

// tree returns every file under codelists/ (hidden ones included) with its content.
func tree(t *testing.T, s *Study) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(s.Dir, "codelists")
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// consistent asserts that the local check finds no errors.
func consistent(t *testing.T, s *Study) {
	t.Helper()
	for _, d := range analysis.CheckCodelists(analysis.NewFSSnapshot(os.DirFS(s.Dir))) {
		if d.Severity == analysis.SeverityError {
			t.Errorf("inconsistent: %s %s: %s", d.File, d.Code, d.Message)
		}
	}
}

const twoLines = "# lists\nopensafely/asthma-diagnosis/2020-04-15\nuser/jdoe/my-meds/ab12cd34/\n"

func TestUpdateSuccess(t *testing.T) {
	srv := newFake()
	defer srv.Close()
	s := newStudy(t, srv, twoLines)
	var steps []Progress
	s.Progress = func(p Progress) { steps = append(steps, p) }
	res, err := s.Update(context.Background(), UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fetched) != 2 || len(res.Changed) != 2 || len(res.Deleted) != 0 {
		t.Errorf("result %+v", res)
	}
	got := tree(t, s)
	if got["opensafely-asthma-diagnosis.csv"] != asthmaCSV || got["user-jdoe-my-meds.csv"] != dmdCSV {
		t.Errorf("files %v", got)
	}
	want := `{
  "files": {
    "opensafely-asthma-diagnosis.csv": {
      "id": "opensafely/asthma-diagnosis/2020-04-15",
      "url": "` + srv.URL + `/codelist/opensafely/asthma-diagnosis/2020-04-15/",
      "downloaded_at": "2025-02-03 10:11:12.345678Z",
      "sha": "` + analysis.CodelistSHA([]byte(asthmaCSV)) + `"
    },
    "user-jdoe-my-meds.csv": {
      "id": "user/jdoe/my-meds/ab12cd34",
      "url": "` + srv.URL + `/codelist/user/jdoe/my-meds/ab12cd34/",
      "downloaded_at": "2025-02-03 10:11:12.345678Z",
      "sha": "` + analysis.CodelistSHA([]byte(dmdCSV)) + `"
    }
  }
}`
	if got["codelists.json"] != want {
		t.Errorf("manifest:\n%s\nwant\n%s", got["codelists.json"], want)
	}
	if len(got) != 4 {
		t.Errorf("leftover files: %v", keys(got))
	}
	consistent(t, s)
	if len(steps) != 3 || steps[0].Total != 2 || steps[2].Done != 2 || !strings.HasPrefix(steps[0].Message, "Fetching ") {
		t.Errorf("progress %+v", steps)
	}
	for _, ua := range srv.UserAgents() {
		if ua != "osls/0.0.0-test" {
			t.Errorf("User-Agent %q", ua)
		}
	}

	// A second update with the same content keeps the old dates: byte-identical manifest.
	s.Now = func() time.Time { return fixedNow.Add(time.Hour) }
	res, err = s.Update(context.Background(), UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unchanged) != 2 {
		t.Errorf("second run %+v", res)
	}
	if again := tree(t, s); !reflect.DeepEqual(again, got) {
		t.Errorf("second update changed files")
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFormatDownloadedAt(t *testing.T) {
	if got := FormatDownloadedAt(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)); got != "2025-01-02 03:04:05Z" {
		t.Error(got)
	}
	if got := FormatDownloadedAt(time.Date(2025, 1, 2, 3, 4, 5, 1000, time.FixedZone("x", 3600))); got != "2025-01-02 02:04:05.000001Z" {
		t.Error(got)
	}
}

func TestUpdateDeletesUnlisted(t *testing.T) {
	srv := newFake()
	defer srv.Close()
	s := newStudy(t, srv, twoLines)
	stray := filepath.Join(s.Dir, "codelists", "old-list.csv")
	os.WriteFile(stray, []byte("code\n1\n"), 0o644)
	before := tree(t, s)

	// Refusing the deletion aborts with nothing changed.
	var asked []string
	_, err := s.Update(context.Background(), UpdateOptions{ConfirmDelete: func(names []string) error {
		asked = names
		return errors.New("no")
	}})
	if err == nil || !reflect.DeepEqual(asked, []string{"old-list.csv"}) {
		t.Fatalf("err %v, asked %v", err, asked)
	}
	if after := tree(t, s); !reflect.DeepEqual(after, before) {
		t.Fatalf("refused update changed files: %v", keys(after))
	}

	res, err := s.Update(context.Background(), UpdateOptions{ConfirmDelete: func([]string) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Deleted, []string{"old-list.csv"}) {
		t.Errorf("deleted %v", res.Deleted)
	}
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Error("stray CSV still there")
	}
	consistent(t, s)
}

// TestFailuresLeaveStudyUnchanged starts from a consistent study, then lists a codelist whose
// download fails (and changes an existing one upstream, so a non-atomic update would already
// have rewritten a CSV). codelists.txt, the CSVs and the manifest must stay byte-identical.
func TestFailuresLeaveStudyUnchanged(t *testing.T) {
	tests := []struct {
		id   string
		kind Kind
	}{
		{"opensafely/no-such-list/v1", KindNotFound},
		{"opensafely/draft-list/v1", KindDraft},
		{"opensafely/html-list/v1", KindNotCSV},
		{"opensafely/old-upload/v1", KindNotDownloadable},
		{"opensafely/slow-list/v1", KindUnreachable},
		{"opensafely/dropped-list/v1", KindUnreachable},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			srv := newFake()
			defer srv.Close()
			s := newStudy(t, srv, twoLines)
			if _, err := s.Update(context.Background(), UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			srv.Set(fake.Version{ID: "opensafely/asthma-diagnosis/2020-04-15", CSV: asthmaCSV + "999,New\n"})

			check := func(name string, run func() error, before map[string]string) {
				err := run()
				var e *Error
				if !errors.As(err, &e) || e.Kind != tc.kind {
					t.Fatalf("%s: error %v, want kind %d", name, err, tc.kind)
				}
				if after := tree(t, s); !reflect.DeepEqual(after, before) {
					t.Errorf("%s changed the study: %v", name, keys(after))
				}
				if e.Error() == "" || !strings.Contains(e.Error(), e.ID) && tc.kind != KindDraft {
					t.Errorf("%s: message %q", name, e.Error())
				}
			}

			// add: codelists.txt must not be touched either.
			before := tree(t, s)
			check("add", func() error { _, err := s.Add(context.Background(), tc.id); return err }, before)

			// update after a hand edit of codelists.txt.
			os.WriteFile(filepath.Join(s.Dir, "codelists", "codelists.txt"), []byte(twoLines+tc.id+"\n"), 0o644)
			before = tree(t, s)
			check("update", func() error { _, err := s.Update(context.Background(), UpdateOptions{}); return err }, before)
		})
	}
}

func TestRetryOn5xx(t *testing.T) {
	srv := newFake()
	defer srv.Close()
	s := newStudy(t, srv, twoLines)
	srv.Fail(2) // two 503s, then success (the client makes 3 attempts)
	if _, err := s.Update(context.Background(), UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d requests, want 4: %v", n, srv.Requests())
	}
	consistent(t, s)

	before := tree(t, s)
	srv.Fail(100)
	_, err := s.Update(context.Background(), UpdateOptions{})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindServer || e.Status != 503 {
		t.Fatalf("persistent 503: %v", err)
	}
	if after := tree(t, s); !reflect.DeepEqual(after, before) {
		t.Error("failed update changed files")
	}
}

func TestCancel(t *testing.T) {
	srv := newFake()
	defer srv.Close()
	s := newStudy(t, srv, "opensafely/slow-list/v1\n")
	s.Client.Timeout = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	before := tree(t, s)
	if _, err := s.Update(ctx, UpdateOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v", err)
	}
	if time.Since(start) > time.Second {
		t.Error("cancellation was not prompt")
	}
	if after := tree(t, s); !reflect.DeepEqual(after, before) {
		t.Error("cancelled update changed files")
	}
}

func TestAdd(t *testing.T) {
	srv := newFake()
	defer srv.Close()
	s := newStudy(t, srv, "# my codelists\nopensafely/asthma-diagnosis/2020-04-15") // no final newline
	if _, err := s.Update(context.Background(), UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Add(context.Background(), srv.URL+"/codelist/opensafely/copd/v1/#full-list")
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != "opensafely/copd/v1" {
		t.Errorf("added %q", res.Added)
	}
	got := tree(t, s)
	if got["codelists.txt"] != "# my codelists\nopensafely/asthma-diagnosis/2020-04-15\nopensafely/copd/v1\n" {
		t.Errorf("codelists.txt %q", got["codelists.txt"])
	}
	m, err := analysis.ParseManifest([]byte(got["codelists.json"]))
	if err != nil || len(m.Entries) != 2 || m.Entries[1].ID != "opensafely/copd/v1" {
		t.Fatalf("manifest %+v %v", m, err)
	}
	consistent(t, s)

	// Already listed and downloaded: nothing to do.
	if res, err := s.Add(context.Background(), "opensafely/copd/v1"); err != nil || res.Added != "" || len(res.Fetched) != 0 {
		t.Errorf("re-add: %+v %v", res, err)
	}
	// Listed but not downloaded (CSV deleted): downloaded again, codelists.txt untouched.
	os.Remove(filepath.Join(s.Dir, "codelists", "opensafely-copd.csv"))
	if res, err := s.Add(context.Background(), "opensafely/copd/v1"); err != nil || len(res.Fetched) != 1 {
		t.Errorf("re-fetch: %+v %v", res, err)
	}
	consistent(t, s)
	// Another version of a listed codelist is refused.
	before := tree(t, s)
	if _, err := s.Add(context.Background(), "opensafely/copd/v2"); err == nil || !strings.Contains(err.Error(), "already lists version v1") {
		t.Errorf("conflict: %v", err)
	}
	if after := tree(t, s); !reflect.DeepEqual(after, before) {
		t.Error("refused add changed files")
	}
}

func TestAddCRLFAndMissingFolder(t *testing.T) {
	srv := newFake()
	defer srv.Close()
	s := newStudy(t, srv, "opensafely/asthma-diagnosis/2020-04-15\r\n")
	if _, err := s.Add(context.Background(), "opensafely/copd/v1"); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, s)["codelists.txt"]; got != "opensafely/asthma-diagnosis/2020-04-15\r\nopensafely/copd/v1\r\n" {
		t.Errorf("codelists.txt %q", got)
	}
	s2 := &Study{Dir: t.TempDir(), Client: testClient(srv.URL)}
	if _, err := s2.Add(context.Background(), "opensafely/copd/v1"); err == nil || !strings.Contains(err.Error(), "No 'codelists' folder") {
		t.Errorf("no folder: %v", err)
	}
}

func TestParseCodelistArg(t *testing.T) {
	base := "https://www.opencodelists.org"
	tests := []struct{ in, want, err string }{
		{"opensafely/asthma-diagnosis/2020-04-15", "opensafely/asthma-diagnosis/2020-04-15", ""},
		{"https://www.opencodelists.org/codelist/opensafely/asthma-diagnosis/2020-04-15/", "opensafely/asthma-diagnosis/2020-04-15", ""},
		{"https://www.opencodelists.org/codelist/opensafely/asthma-diagnosis/2020-04-15/download.csv", "opensafely/asthma-diagnosis/2020-04-15", ""},
		{"https://www.opencodelists.org/codelist/user/jdoe/my-list/3f1a9c2e/#search-results", "user/jdoe/my-list/3f1a9c2e", ""},
		{"https://example.com/codelist/a/b/c/", "", "not an OpenCodelists address"},
		{"https://www.opencodelists.org/docs/", "", "not a codelist version page"},
		{"opensafely/asthma-diagnosis", "", "does not match"},
		{"foo/bar/baz/v1", "", "must start with user/"},
		{"", "", "is not a codelist"},
	}
	for _, tc := range tests {
		got, err := ParseCodelistArg(tc.in, base)
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseCodelistArg(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestCheck(t *testing.T) {
	srv := newFake()
	defer srv.Close()
	s := newStudy(t, srv, twoLines)
	if _, err := s.Update(context.Background(), UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Check(context.Background(), false)
	if err != nil || !rep.OK() {
		t.Fatalf("consistent study: %+v %v", rep, err)
	}

	// dm+d content changes upstream for the same version.
	srv.Set(fake.Version{ID: "user/jdoe/my-meds/ab12cd34", CSV: dmdCSV + "42000011000001104,VMP previous to 39113311000001107,42000011000001104,saba\r\n"})
	rep, err = s.Check(context.Background(), false)
	if err != nil || rep.OK() || rep.Upstream == nil || !reflect.DeepEqual(rep.Upstream.Changed, []string{"user/jdoe/my-meds/ab12cd34"}) {
		t.Fatalf("changed upstream: %+v %v", rep, err)
	}
	if !strings.Contains(rep.Explanations["user/jdoe/my-meds/ab12cd34"], "dm+d") {
		t.Errorf("explanation %q", rep.Explanations["user/jdoe/my-meds/ab12cd34"])
	}
	// update takes the new content; then all is well again.
	if _, err := s.Update(context.Background(), UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if rep, _ := s.Check(context.Background(), false); !rep.OK() {
		t.Errorf("after update: %+v", rep.Upstream)
	}

	// A hand-edited CSV is a local error.
	os.WriteFile(filepath.Join(s.Dir, "codelists", "opensafely-asthma-diagnosis.csv"), []byte("code\n1\n"), 0o644)
	rep, _ = s.Check(context.Background(), false)
	if rep.LocalErrors() != 1 || rep.Local[0].Code != "CL024" {
		t.Errorf("local: %+v", rep.Local)
	}

	// Unreachable server: said, not silent.
	srv.Close()
	rep, err = s.Check(context.Background(), false)
	if err != nil || rep.OK() || !IsUnreachable(rep.UpstreamErr) {
		t.Errorf("unreachable: %+v %v", rep, err)
	}

	// No codelists folder: nothing to check.
	s2 := &Study{Dir: t.TempDir(), Client: testClient(srv.URL)}
	if rep, err := s2.Check(context.Background(), false); err != nil || !rep.NoCodelists || !rep.OK() {
		t.Errorf("no folder: %+v %v", rep, err)
	}
}

func TestCheckUpstreamError(t *testing.T) {
	srv := newFake()
	defer srv.Close()
	s := newStudy(t, srv, "opensafely/copd/v1\n")
	if _, err := s.Update(context.Background(), UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	srv.Set(fake.Version{ID: "opensafely/copd/v1", Status: "draft"})
	rep, err := s.Check(context.Background(), false)
	if err != nil || rep.Upstream == nil || rep.Upstream.Error != "opensafely/copd/v1 could not be found" {
		t.Errorf("%+v %v", rep.Upstream, err)
	}
}

func TestCacheAndComplete(t *testing.T) {
	srv := newFake()
	c := testClient(srv.URL)
	cache := &Cache{Dir: t.TempDir(), MaxAge: time.Hour}
	cls, err := c.CachedCodelists(context.Background(), cache, "")
	if err != nil || len(cls) == 0 {
		t.Fatalf("%v %v", cls, err)
	}
	srv.Close()
	// Offline: the fresh cache answers.
	cls2, err := c.CachedCodelists(context.Background(), cache, "")
	if err != nil || !reflect.DeepEqual(cls, cls2) {
		t.Fatalf("offline: %v", err)
	}
	// Offline with a stale cache: the cached list and the error.
	cache.MaxAge = 0
	cls3, err := c.CachedCodelists(context.Background(), cache, "")
	if !IsUnreachable(err) || len(cls3) != len(cls) {
		t.Fatalf("stale: %d %v", len(cls3), err)
	}

	cands := Complete(cls, "opensafely/a")
	if len(cands) != 1 || cands[0].Text != "opensafely/asthma-diagnosis/" || cands[0].Final {
		t.Errorf("codelists: %+v", cands)
	}
	cands = Complete(cls, "opensafely/asthma-diagnosis/")
	if len(cands) != 1 || cands[0].Text != "opensafely/asthma-diagnosis/2020-04-15" || !cands[0].Final {
		t.Errorf("versions: %+v", cands)
	}
	if cands := Complete(cls, "opensafely/draft-list/"); len(cands) != 0 {
		t.Errorf("drafts offered: %+v", cands)
	}
	cl, v, err := Find(cls, "opensafely/asthma-diagnosis/2020-04-15/")
	if err != nil || cl.Name != "Asthma Diagnosis" || v.Status != "published" {
		t.Errorf("find: %+v %+v %v", cl, v, err)
	}
}
