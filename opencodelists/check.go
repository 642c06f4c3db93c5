package opencodelists

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/opensafely-core/osls/analysis"
)

// Report is the outcome of Study.Check.
type Report struct {
	// NoCodelists is true when the study has no codelists/ folder: nothing to check.
	NoCodelists bool
	// Local holds the problems found on disk, as the editor shows them.
	Local []analysis.Diagnostic
	// Upstream is the server's verdict; nil when it was not asked (see UpstreamErr).
	Upstream *CheckResult
	// UpstreamErr says why the server was not asked or did not answer (e.g. IsUnreachable).
	UpstreamErr error
	// Explanations gives, for each id the server reports as changed, why it may have changed.
	Explanations map[string]string
}

// LocalErrors counts the local problems of error severity.
func (r *Report) LocalErrors() int {
	n := 0
	for _, d := range r.Local {
		if d.Severity == analysis.SeverityError {
			n++
		}
	}
	return n
}

// OK reports whether nothing needs fixing: no local errors and the server said "ok".
func (r *Report) OK() bool {
	if r.NoCodelists {
		return true
	}
	return r.LocalErrors() == 0 && r.Upstream != nil && r.Upstream.OK
}

// Check checks the codelists folder locally (every line has its CSV, the manifest's SHAs
// match, no stray CSVs, no duplicate or conflicting lines) and, unless offline, asks the
// server whether the downloaded versions are still current.
func (s *Study) Check(ctx context.Context, offline bool) (*Report, error) {
	st, err := os.Stat(s.path(analysis.CodelistsDir))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !st.IsDir()) {
		return &Report{NoCodelists: true}, nil
	}
	if err != nil {
		return nil, err
	}
	txt, err := s.readTxt()
	if err != nil {
		return nil, err
	}
	snap := analysis.NewFSSnapshot(os.DirFS(s.Dir))
	rep := &Report{Local: analysis.CheckCodelists(snap)}
	if offline {
		rep.UpstreamErr = errors.New("the upstream check was skipped (--offline)")
		return rep, nil
	}
	manifest, err := os.ReadFile(s.path(analysis.ManifestFile))
	if err != nil {
		rep.UpstreamErr = errors.New("the upstream check needs codelists/codelists.json: run `osls codelists update` first")
		return rep, nil
	}
	res, err := s.Client.Check(ctx, txt, manifest)
	if err != nil {
		rep.UpstreamErr = err
		return rep, nil
	}
	rep.Upstream = res
	if len(res.Changed) > 0 {
		rep.Explanations = map[string]string{}
		for _, id := range res.Changed {
			rep.Explanations[id] = s.explainChanged(snap, id)
		}
	}
	return rep, nil
}

// explainChanged says why the server's content for id may differ from the downloaded CSV.
// dm+d codelists change for the same version: OpenCodelists rebuilds them from each week's
// dm+d release, adding rows for VMPs mapped to the listed codes.
func (s *Study) explainChanged(snap analysis.Snapshot, id string) string {
	l, ok := analysis.ParseCodelistLine(id)
	if !ok || l.Err != "" {
		return ""
	}
	data, err := snap.ReadFile(l.Path())
	if err != nil {
		return ""
	}
	info, err := analysis.DescribeCSV(data)
	if err != nil {
		return ""
	}
	dmd := false
	for _, c := range info.Columns {
		if strings.EqualFold(c, "dmd_id") || strings.EqualFold(c, "dmd_type") {
			dmd = true
		}
	}
	if !dmd && !strings.Contains(strings.ToLower(id), "dmd") {
		return "the CSV that OpenCodelists serves for this version differs from the one downloaded; run `osls codelists update` to take it (the version itself is unchanged)"
	}
	return fmt.Sprintf("a dm+d codelist: OpenCodelists rebuilds its CSV from each weekly dm+d release, adding rows for VMPs that replaced or were replaced by listed codes, so the same version (%s) can gain rows. Run `osls codelists update` to take them, or keep the old CSV knowingly if jobs already ran with it", l.Version)
}
