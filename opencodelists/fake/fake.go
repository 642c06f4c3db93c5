// Package fake is an OpenCodelists server on loopback for tests (httptest). It serves the
// routes osls uses — download.csv, /api/v1/check/, /api/v1/codelist/ — from an in-memory
// table of versions, and can misbehave on demand: 404s, drafts that redirect to an HTML
// builder page, HTML instead of CSV, slow replies, connections dropped mid-download, 5xx
// replies before a success, and content that changes after download (dm+d).
package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opensafely-core/osls/analysis"
)

// Version is one codelist version served by the fake.
type Version struct {
	ID           string // "opensafely/asthma/v1" (tag form; Hash also resolves)
	Hash         string // 8 hex characters; made up from ID when empty
	Name         string // codelist name for listings
	CodingSystem string
	CSV          string
	Status       string // "published" (default), "under review" or "draft"
	// Misbehaviour of download.csv:
	NotDownloadable bool          // 400 "Codelist is not downloadable"
	HTML            bool          // 200 text/html page instead of the CSV
	Delay           time.Duration // wait before replying (until the client gives up)
	Drop            bool          // send half the body, then close the connection
	// Accept lists extra SHAs the check endpoint accepts (legacy dm+d formats).
	Accept []string
}

// Server is the fake. Change its versions with Set; read what it saw in Requests.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	versions map[string]*Version
	fail     int // 5xx replies still to send before serving normally
	requests []string
	agents   []string
}

// New starts a fake with the given versions. Close it when done.
func New(vs ...Version) *Server {
	s := &Server{versions: map[string]*Version{}}
	for _, v := range vs {
		s.Set(v)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Set adds or replaces a version.
func (s *Server) Set(v Version) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v.Status == "" {
		v.Status = "published"
	}
	if v.Hash == "" {
		v.Hash = fmt.Sprintf("%08x", hashString(v.ID))
	}
	s.versions[v.ID] = &v
}

// Fail makes the next n requests get 503.
func (s *Server) Fail(n int) {
	s.mu.Lock()
	s.fail = n
	s.mu.Unlock()
}

// Requests returns "METHOD path" of every request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// UserAgents returns the User-Agent of every request so far.
func (s *Server) UserAgents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.agents...)
}

func hashString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// lookup resolves "owner/slug/tag-or-hash" (owner may be "user/name").
func (s *Server) lookup(id string) *Version {
	if v, ok := s.versions[id]; ok {
		return v
	}
	l, ok := analysis.ParseCodelistLine(id)
	if !ok || l.Err != "" {
		return nil
	}
	for _, v := range s.versions {
		if vl, _ := analysis.ParseCodelistLine(v.ID); vl.Codelist == l.Codelist && v.Hash == l.Version {
			return v
		}
	}
	return nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	s.agents = append(s.agents, r.UserAgent())
	if s.fail > 0 {
		s.fail--
		s.mu.Unlock()
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	s.mu.Unlock()

	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/codelist/") && strings.HasSuffix(p, "/download.csv"):
		s.download(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "/codelist/"), "/download.csv"))
	case strings.HasPrefix(p, "/builder/"):
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Asthma (Draft)</title></head><body>Builder</body></html>")
	case p == "/api/v1/check/":
		s.check(w, r)
	case strings.HasPrefix(p, "/api/v1/codelist/"):
		s.list(w, strings.Trim(strings.TrimPrefix(p, "/api/v1/codelist/"), "/"))
	default:
		http.NotFound(w, r)
	}
}

func notFoundHTML(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, "<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>")
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	v := s.lookup(id)
	var cp Version
	if v != nil {
		cp = *v
	}
	s.mu.Unlock()
	if v == nil {
		notFoundHTML(w)
		return
	}
	if cp.Delay > 0 {
		select {
		case <-time.After(cp.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case cp.Status == "draft":
		http.Redirect(w, r, "/builder/"+cp.Hash+"/", http.StatusFound)
	case cp.NotDownloadable:
		http.Error(w, "Codelist is not downloadable", http.StatusBadRequest)
	case cp.HTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!DOCTYPE html><html><head><title>OpenCodelists</title></head><body>Sign in</body></html>")
	case cp.Drop:
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Length", strconv.Itoa(len(cp.CSV)))
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, cp.CSV[:len(cp.CSV)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
	default:
		l, _ := analysis.ParseCodelistLine(cp.ID)
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", strings.ReplaceAll(l.Codelist, "/", "-")+"-"+l.Version+".csv"))
		fmt.Fprint(w, cp.CSV)
	}
}

type checkData struct {
	Error   string   `json:"error,omitempty"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []string `json:"changed"`
}

// check follows OpenCodelists' algorithm for POST /api/v1/check/.
func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(msg string) {
		reply(map[string]any{"status": "error", "data": map[string]string{"error": msg}})
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Server Error", http.StatusInternalServerError)
		return
	}
	m, err := analysis.ParseManifest([]byte(r.PostForm.Get("manifest")))
	if err != nil {
		fail("Codelists manifest file is invalid")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	txtIDs := map[string]bool{}
	var added, removed, changed []string
	for _, raw := range strings.Split(strings.ReplaceAll(r.PostForm.Get("codelists"), "\r", "\n"), "\n") {
		l, ok := analysis.ParseCodelistLine(raw)
		if !ok {
			continue
		}
		if l.Err != "" || (len(l.Tokens) == 4 && l.Tokens[0] != "user") {
			fail(l.ID + " does not match expected codelist pattern")
			return
		}
		v := s.lookup(l.ID)
		if v == nil || v.Status == "draft" {
			fail(l.ID + " could not be found")
			return
		}
		if v.NotDownloadable {
			fail(l.ID + " is not downloadable")
			return
		}
		txtIDs[l.ID] = true
		if !m.HasID(l.ID) {
			added = append(added, l.ID)
			continue
		}
		ok = false
		for _, e := range m.Entries {
			if strings.TrimRight(e.ID, "/") != l.ID {
				continue
			}
			ok = e.SHA == analysis.CodelistSHA([]byte(v.CSV))
			for _, a := range v.Accept {
				ok = ok || e.SHA == a
			}
		}
		if !ok {
			changed = append(changed, l.ID)
		}
	}
	for _, e := range m.Entries {
		if !txtIDs[strings.TrimRight(e.ID, "/")] {
			removed = append(removed, e.ID)
		}
	}
	if len(added)+len(removed)+len(changed) == 0 {
		reply(map[string]string{"status": "ok"})
		return
	}
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	reply(map[string]any{"status": "error", "data": checkData{Added: nonNil(added), Removed: nonNil(removed), Changed: nonNil(changed)}})
}

// list serves GET /api/v1/codelist/[owner/]: organisation codelists only, unless the owner
// is a user.
func (s *Server) list(w http.ResponseWriter, owner string) {
	s.mu.Lock()
	type item struct {
		FullSlug     string           `json:"full_slug"`
		Slug         string           `json:"slug"`
		Name         string           `json:"name"`
		CodingSystem string           `json:"coding_system_id"`
		Organisation string           `json:"organisation"`
		User         string           `json:"user"`
		Versions     []map[string]any `json:"versions"`
	}
	items := map[string]*item{}
	for _, v := range s.versions {
		l, _ := analysis.ParseCodelistLine(v.ID)
		if l.Err != "" {
			continue
		}
		isUser := len(l.Tokens) == 4
		own := strings.Join(l.Tokens[:len(l.Tokens)-2], "/")
		if (owner == "" && isUser) || (owner != "" && own != owner) {
			continue
		}
		it := items[l.Codelist]
		if it == nil {
			it = &item{FullSlug: l.Codelist, Slug: l.Tokens[len(l.Tokens)-2], Name: v.Name, CodingSystem: v.CodingSystem}
			if isUser {
				it.User = l.Tokens[1]
			} else {
				it.Organisation = l.Tokens[0]
			}
			items[l.Codelist] = it
		}
		it.Versions = append(it.Versions, map[string]any{
			"hash": v.Hash, "tag": l.Version, "full_slug": v.ID, "status": v.Status,
			"downloadable": v.Status != "draft" && !v.NotDownloadable, "updated_date": "2024-01-01",
		})
	}
	s.mu.Unlock()
	if owner != "" && len(items) == 0 {
		notFoundHTML(w)
		return
	}
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := struct {
		Codelists []*item `json:"codelists"`
	}{Codelists: []*item{}}
	for _, k := range keys {
		sort.Slice(items[k].Versions, func(i, j int) bool {
			return items[k].Versions[i]["tag"].(string) < items[k].Versions[j]["tag"].(string)
		})
		out.Codelists = append(out.Codelists, items[k])
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
