package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/opencodelists"
)

// Codelists: diagnostics of codelists/codelists.txt (diagnostics.go), completion of its
// ids and versions from the OpenCodelists listing (cached on disk, so it works offline),
// hover on its lines and on codelist_from_csv paths, and the "Import codelist" quick fixes,
// which add the line to codelists.txt and download the CSV through CommandImportCodelist
// with $/progress.
//
// The server is, in order of precedence: initializationOptions.opencodelistsUrl, the
// workspace setting opencodelistsUrl (workspace/didChangeConfiguration, at the top level or
// under "osls"), $OPENCODELISTS_URL, and else the public server.

// CommandImportCodelist adds a codelist to codelists.txt (if it is not listed) and downloads
// it. Arguments: a URI in the study (its folder or any file of it) and the codelist id.
const CommandImportCodelist = "osls.importCodelist"

// listingTimeout bounds the wait for the OpenCodelists listing during completion and code
// actions; the cached listing is used when the server is slow or unreachable.
const listingTimeout = 3 * time.Second

// codelistsURL returns the OpenCodelists server to use.
func (s *Server) codelistsURL() string {
	s.mu.Lock()
	u := s.oclURL
	s.mu.Unlock()
	if u != "" {
		return strings.TrimRight(u, "/")
	}
	return opencodelists.BaseURLFromEnv(os.Getenv)
}

// readOCLSetting picks opencodelistsUrl from settings or initialization options.
func readOCLSetting(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	var v struct {
		URL  string `json:"opencodelistsUrl"`
		Osls struct {
			URL string `json:"opencodelistsUrl"`
		} `json:"osls"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	if v.URL != "" {
		return v.URL
	}
	return v.Osls.URL
}

// DidChangeConfiguration implements protocol.Server.
func (s *Server) DidChangeConfiguration(ctx context.Context, p *protocol.DidChangeConfigurationParams) error {
	if u := readOCLSetting(p.Settings); u != "" {
		s.mu.Lock()
		if !s.oclFromInit {
			s.oclURL = u
		}
		s.mu.Unlock()
	}
	return nil
}

// oclClient returns a client for the configured server; quick ones do not retry.
func (s *Server) oclClient(quick bool) *opencodelists.Client {
	c := opencodelists.NewClient(s.codelistsURL(), s.opts.Version)
	if quick {
		c.Retries = 0
		c.Timeout = listingTimeout
	}
	return c
}

func (s *Server) oclCache() *opencodelists.Cache {
	if s.opts.CodelistCache != nil {
		return s.opts.CodelistCache
	}
	c, err := opencodelists.DefaultCache()
	if err != nil {
		return nil
	}
	return c
}

// listing returns the codelists of owner, from the cache or the server; nil when neither
// has them.
func (s *Server) listing(ctx context.Context, owner string) []opencodelists.Codelist {
	ctx, cancel := context.WithTimeout(ctx, listingTimeout)
	defer cancel()
	cls, err := s.oclClient(true).CachedCodelists(ctx, s.oclCache(), owner)
	if err != nil {
		s.log.Printf("listing codelists of %q: %v", owner, err)
	}
	return cls
}

// cachedListing returns the cached codelists of owner without asking the server.
func (s *Server) cachedListing(owner string) []opencodelists.Codelist {
	c := s.oclCache()
	if c == nil {
		return nil
	}
	l, err := c.Load(s.codelistsURL(), owner)
	if err != nil {
		return nil
	}
	return l.Codelists
}

// ownerOf returns the owner part of a typed id: "opensafely", "user/jdoe", or "" while the
// owner is being typed.
func ownerOf(typed string) string {
	parts := strings.Split(typed, "/")
	if parts[0] == "user" {
		if len(parts) >= 3 {
			return "user/" + parts[1]
		}
		return ""
	}
	if len(parts) >= 2 {
		return parts[0]
	}
	return ""
}

// completeCodelistsTxt proposes codelists and their versions on a codelists.txt line.
func (s *Server) completeCodelistsTxt(ctx context.Context, d *document, off int) []analysis.Completion {
	typed, replace, ok := analysis.CodelistTyped(d.text, off)
	if !ok {
		return nil
	}
	cls := s.listing(ctx, ownerOf(typed))
	var out []analysis.Completion
	for i, c := range opencodelists.Complete(cls, typed) {
		kind := analysis.CompleteValue
		if !c.Final {
			kind = analysis.CompleteModule
		}
		out = append(out, analysis.Completion{Label: c.Text, Kind: kind, Detail: c.Label + " — " + c.Detail, Insert: c.Text, Replace: replace, Sort: fmt.Sprintf("%04d", i)})
	}
	return out
}

// describeCodelist renders a hover for a codelist CSV path.
func (s *Server) describeCodelist(snap analysis.Snapshot, csvPath string) string {
	info := analysis.CodelistInfo{Base: s.codelistsURL()}
	st := analysis.CodelistForPath(snap, csvPath)
	if st.Listed {
		if cls := s.cachedListing(ownerOf(st.Line.ID)); cls != nil {
			if cl, _, err := opencodelists.Find(cls, st.Line.ID); err == nil || cl.Name != "" {
				info.Name = cl.Name
			}
		}
	}
	return analysis.DescribeCodelist(snap, csvPath, info)
}

// hoverCodelistsTxt describes the codelist of the line under the cursor.
func (s *Server) hoverCodelistsTxt(ctx context.Context, d *document, ds docSet, off int) (analysis.Hover, bool) {
	l, ok := analysis.CodelistLineAt(analysis.ParseCodelistsTxt(d.text), off)
	if !ok || l.Path() == "" {
		return analysis.Hover{}, false
	}
	return analysis.Hover{Range: l.Entry, Markdown: s.describeCodelist(s.snapshotFor(d, ds), l.Path())}, true
}

// importActions returns the "Import codelist" quick fixes for a codelist diagnostic:
// CL031 (listed, not downloaded) and CL022 download the listed version; CL032 (no such CSV
// in codelists/) adds the newest published versions of the codelist with that file name,
// found in the OpenCodelists listing, to codelists.txt, and downloads it.
func (s *Server) importActions(ctx context.Context, d *document, ds docSet, ad analysis.Diagnostic) []protocol.CommandOrCodeAction {
	if d.root == "" {
		return nil
	}
	snap := s.snapshotFor(d, ds)
	var csvPath string
	switch {
	case d.kind == kindPython && (ad.Code == analysis.CodeCodelistNotFetched.ID || ad.Code == analysis.CodeCodelistFileNotFound.ID):
		q := &analysis.EhrQLQuery{Snap: snap, File: d.rel, Src: d.text}
		p, _, ok := q.CodelistPathAt(ad.Range.Start + 1)
		if !ok {
			return nil
		}
		csvPath = p
	case d.kind == kindCodelists && ad.Code == analysis.CodeCodelistCSVMissing.ID:
		l, ok := analysis.CodelistLineAt(analysis.ParseCodelistsTxt(d.text), ad.Range.Start)
		if !ok {
			return nil
		}
		csvPath = l.Path()
	default:
		return nil
	}
	st := analysis.CodelistForPath(snap, csvPath)
	if !st.InCodelists {
		return nil
	}
	rootURI := string(uri.File(d.root))
	if st.Listed {
		return []protocol.CommandOrCodeAction{s.importAction(d, ad, "Download codelist "+st.Line.ID, rootURI, st.Line.ID, nil)}
	}
	var out []protocol.CommandOrCodeAction
	for _, id := range s.idsForFile(ctx, path.Base(csvPath)) {
		out = append(out, s.importAction(d, ad, "Import codelist "+id, rootURI, id, s.appendLineEdit(d, ds, snap, id)))
		if len(out) == 3 {
			break
		}
	}
	return out
}

// idsForFile finds, in the listing, the downloadable versions of the codelist that
// downloads to file (e.g. "opensafely-asthma-diagnosis.csv"), best first.
func (s *Server) idsForFile(ctx context.Context, file string) []string {
	slug := strings.TrimSuffix(file, ".csv")
	var out []string
	for _, owner := range []string{"", strings.SplitN(slug, "-", 2)[0]} {
		for _, cl := range s.listing(ctx, owner) {
			if strings.ReplaceAll(cl.FullSlug, "/", "-") != slug {
				continue
			}
			for _, c := range opencodelists.Complete([]opencodelists.Codelist{cl}, cl.FullSlug+"/") {
				if c.Final && !strings.Contains(c.Detail, "not downloadable") {
					out = append(out, c.Text)
				}
			}
			return out
		}
	}
	return out
}

// appendLineEdit returns the workspace edit that appends id to codelists.txt, or nil when
// the file does not exist yet (the command then creates it).
func (s *Server) appendLineEdit(d *document, ds docSet, snap analysis.Snapshot, id string) *protocol.WorkspaceEdit {
	txt, err := snap.ReadFile(analysis.CodelistsFile)
	if err != nil {
		return nil
	}
	target := fsPath(d.root, analysis.CodelistsFile)
	u := fileURI(target)
	if od := s.openByPath(target); od != nil {
		u = protocolURI(od.uri)
	}
	l := analysis.NewLines(txt)
	end := positionOf(l, len(txt))
	return &protocol.WorkspaceEdit{Changes: map[uri.URI][]protocol.TextEdit{u: {{
		Range: protocol.Range{Start: end, End: end}, NewText: opencodelists.AppendLineEdit(txt, id),
	}}}}
}

func (s *Server) importAction(d *document, ad analysis.Diagnostic, title, rootURI, id string, edit *protocol.WorkspaceEdit) *protocol.CodeAction {
	a, _ := json.Marshal(rootURI)
	b, _ := json.Marshal(id)
	return &protocol.CodeAction{
		Title:       title,
		Kind:        ptr(protocol.CodeActionKindQuickFix),
		Diagnostics: []protocol.Diagnostic{s.toProtocolDiagnostic(d, ad)},
		IsPreferred: ptr(true),
		Edit:        edit,
		Command:     protocol.Command{Title: title, Command: CommandImportCodelist, Arguments: []protocol.LSPAny{a, b}},
	}
}

// importCodelist runs CommandImportCodelist: it adds id to the study's codelists.txt on
// disk unless listed there already, and downloads it, reporting progress.
func (s *Server) importCodelist(ctx context.Context, p *protocol.ExecuteCommandParams) (protocol.LSPAny, error) {
	var rawURI, id string
	if len(p.Arguments) < 2 || json.Unmarshal(p.Arguments[0], &rawURI) != nil || json.Unmarshal(p.Arguments[1], &id) != nil || id == "" {
		return nil, fmt.Errorf("%s takes two arguments: a URI in the study and a codelist id", p.Command)
	}
	u, err := uri.Parse(rawURI)
	if err != nil || u.Scheme() != "file" {
		return nil, fmt.Errorf("%s: %q is not a file URI", p.Command, rawURI)
	}
	dir := filepath.Clean(u.FsPath())
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		dir = studyRoot(dir, kindOther, s.workspaceRoots())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prog := s.beginProgress(ctx, p.WorkDoneToken, "Importing "+id, cancel)
	study := &opencodelists.Study{Dir: dir, Client: s.oclClient(false), Progress: func(pr opencodelists.Progress) {
		pct := -1
		if pr.Total > 0 {
			pct = 100 * pr.Done / pr.Total
		}
		prog.report(pr.Message, pct)
	}}
	listed := false
	if txt, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(analysis.CodelistsFile))); err == nil {
		for _, l := range analysis.ParseCodelistsTxt(txt) {
			listed = listed || l.ID == id
		}
	}
	var res *opencodelists.Result
	if listed {
		res, err = study.Update(ctx, opencodelists.UpdateOptions{Only: []string{id}})
	} else {
		res, err = study.Add(ctx, id)
	}
	s.invalidateDisk(dir)
	s.diag.touchStudy(dir)
	if err != nil {
		prog.end("Failed: " + err.Error())
		s.showToClient(protocol.MessageTypeError, fmt.Sprintf("Importing %s failed: %v", id, err))
		return nil, err
	}
	msg := fmt.Sprintf("Imported %s", id)
	if len(res.Fetched) == 0 {
		msg = id + " is already downloaded"
	}
	prog.end(msg)
	s.showToClient(protocol.MessageTypeInfo, msg)
	return json.Marshal(map[string]any{"ok": true, "message": msg, "fetched": res.Fetched})
}
