package opencodelists

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Cache keeps the server's codelist listings on disk, one file per server and owner, so
// that completion works offline and does not hit the server on every keystroke.
type Cache struct {
	Dir    string        // e.g. <user cache dir>/osls/opencodelists
	MaxAge time.Duration // listings younger than this are used without asking the server
}

// DefaultCache returns the cache under the user's cache folder (os.UserCacheDir), keeping
// listings for a day.
func DefaultCache() (*Cache, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("finding the user cache folder: %w", err)
	}
	return &Cache{Dir: filepath.Join(d, "osls", "opencodelists"), MaxAge: 24 * time.Hour}, nil
}

// Listing is one cached answer of GET /api/v1/codelist/[owner/].
type Listing struct {
	Server    string     `json:"server"`
	Owner     string     `json:"owner"` // "" for all organisations
	Fetched   time.Time  `json:"fetched"`
	Codelists []Codelist `json:"codelists"`
}

func (c *Cache) file(server, owner string) string {
	name := url.PathEscape(strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://"))
	o := owner
	if o == "" {
		o = "_all"
	}
	return filepath.Join(c.Dir, name, url.PathEscape(strings.ReplaceAll(o, "/", "_"))+".json")
}

// Load returns the cached listing, or an error if there is none.
func (c *Cache) Load(server, owner string) (*Listing, error) {
	b, err := os.ReadFile(c.file(server, owner))
	if err != nil {
		return nil, err
	}
	var l Listing
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("reading the codelist cache: %w", err)
	}
	return &l, nil
}

// Store writes a listing (temp file, then rename).
func (c *Cache) Store(l *Listing) error {
	p := c.file(l.Server, l.Owner)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// CachedCodelists returns the codelists of owner ("" for all organisations, "user/jdoe" for
// a user): from the cache when fresh, else from the server (then cached). When the server
// cannot be reached it falls back to a stale cached listing, returning it with the error so
// the caller can say the list may be out of date. The editor's completion calls this.
func (c *Client) CachedCodelists(ctx context.Context, cache *Cache, owner string) ([]Codelist, error) {
	var cached *Listing
	if cache != nil {
		cached, _ = cache.Load(c.BaseURL, owner)
		if cached != nil && time.Since(cached.Fetched) < cache.MaxAge {
			return cached.Codelists, nil
		}
	}
	cls, err := c.Codelists(ctx, owner)
	if err != nil {
		if cached != nil {
			return cached.Codelists, err
		}
		return nil, err
	}
	if cache != nil {
		_ = cache.Store(&Listing{Server: c.BaseURL, Owner: owner, Fetched: time.Now(), Codelists: cls})
	}
	return cls, nil
}

// Candidate is one completion for a codelists.txt line.
type Candidate struct {
	Text   string // the text to insert for the whole line, e.g. "opensafely/asthma-diagnosis/2020-04-15"
	Label  string // what to show: the codelist or the version
	Detail string // name, coding system, status and date
	Final  bool   // a complete line (a version), not a codelist awaiting its version
}

// Complete returns candidates for the text typed so far on a codelists.txt line. Before the
// last "/" of a codelist it offers codelists ("opensafely/asthma-diagnosis/"); after it, the
// versions of that codelist, published first, newest first. Drafts are left out (they cannot
// be downloaded).
func Complete(codelists []Codelist, typed string) []Candidate {
	typed = strings.TrimSpace(typed)
	var out []Candidate
	for _, cl := range codelists {
		prefix := cl.FullSlug + "/"
		if strings.HasPrefix(typed, prefix) {
			vs := append([]Version(nil), cl.Versions...)
			sort.SliceStable(vs, func(i, j int) bool {
				if (vs[i].Status == "published") != (vs[j].Status == "published") {
					return vs[i].Status == "published"
				}
				return vs[i].UpdatedDate > vs[j].UpdatedDate
			})
			for _, v := range vs {
				if v.Status == "draft" || !strings.HasPrefix(v.FullSlug, typed) {
					continue
				}
				label := v.Tag
				if label == "" {
					label = v.Hash
				}
				detail := fmt.Sprintf("%s — %s, %s", cl.Name, v.Status, v.UpdatedDate)
				if !v.Downloadable {
					detail += " (not downloadable)"
				}
				out = append(out, Candidate{Text: v.FullSlug, Label: label, Detail: detail, Final: true})
			}
			continue
		}
		if strings.HasPrefix(prefix, typed) {
			out = append(out, Candidate{Text: prefix, Label: cl.FullSlug, Detail: fmt.Sprintf("%s (%s)", cl.Name, cl.CodingSystem)})
		}
	}
	if len(out) > 0 && !out[0].Final {
		sort.Slice(out, func(i, j int) bool { return out[i].Text < out[j].Text })
	}
	return out
}

// Find returns the codelist and version that a codelists.txt id names, from a listing (for
// hover: the codelist's name and status).
func Find(codelists []Codelist, id string) (Codelist, Version, error) {
	id = strings.TrimRight(id, "/")
	for _, cl := range codelists {
		if !strings.HasPrefix(id, cl.FullSlug+"/") {
			continue
		}
		ver := strings.TrimPrefix(id, cl.FullSlug+"/")
		for _, v := range cl.Versions {
			if v.Tag == ver || v.Hash == ver {
				return cl, v, nil
			}
		}
		return cl, Version{}, fmt.Errorf("%s has no version %s", cl.FullSlug, ver)
	}
	return Codelist{}, Version{}, errors.New(id + " is not in the listing")
}
