// Package opencodelists talks to an OpenCodelists server and keeps a study's codelists folder
// in step with it, compatibly with opensafely-cli: the same codelists.txt, the same CSV
// names, the same codelists/codelists.json, byte for byte.
//
// Unlike opensafely-cli, every change is all-or-nothing: downloads go to a temporary folder
// inside codelists/ (so the final renames stay on one file system), each download is checked
// (status, content type, CSV syntax, SHA) and only then are the CSVs, the manifest and
// codelists.txt renamed into place. A failure at any step leaves the three as they were.
//
// The Client retries 5xx replies and connection failures with exponential backoff, bounds
// each attempt with a timeout and honours context cancellation. Study holds the
// operations on a study folder (Add, Update, Check); Cache keeps the server's list of
// codelists on disk so the editor can complete ids and versions offline.
package opencodelists

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opensafely-core/osls/analysis"
)

// DefaultBaseURL is the public OpenCodelists server.
const DefaultBaseURL = "https://www.opencodelists.org"

// BaseURLFromEnv returns $OPENCODELISTS_URL, or DefaultBaseURL when it is unset.
func BaseURLFromEnv(getenv func(string) string) string {
	if u := strings.TrimSpace(getenv("OPENCODELISTS_URL")); u != "" {
		return strings.TrimRight(u, "/")
	}
	return DefaultBaseURL
}

// Client is an OpenCodelists HTTP client. The zero value is not usable; call NewClient.
type Client struct {
	BaseURL   string        // e.g. "https://www.opencodelists.org", no trailing slash
	UserAgent string        // "osls/<version>"
	HTTP      *http.Client  // redirects are followed (drafts redirect to an HTML page)
	Timeout   time.Duration // bound on each attempt, including reading the body
	Retries   int           // further attempts after a 5xx reply or a connection failure
	Backoff   time.Duration // wait before the first retry; doubles each time
	MaxBody   int64         // largest body accepted (the largest real codelist is about 1 MB)
}

// NewClient returns a client for the server at baseURL with production settings: 30 s per
// attempt, 3 retries starting at 500 ms.
func NewClient(baseURL, version string) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	return &Client{
		BaseURL:   strings.TrimRight(baseURL, "/"),
		UserAgent: "osls/" + strings.TrimPrefix(version, "v"),
		HTTP:      &http.Client{},
		Timeout:   30 * time.Second,
		Retries:   3,
		Backoff:   500 * time.Millisecond,
		MaxBody:   64 << 20,
	}
}

// Kind classifies an Error.
type Kind int

// Kinds of failure, each with its own advice to the user.
const (
	KindUnreachable     Kind = iota + 1 // no reply: DNS, refused, reset, timeout, dropped mid-body
	KindNotFound                        // 404: no such organisation, user, codelist or version
	KindDraft                           // the version is a draft (the server redirects to the builder)
	KindNotCSV                          // a 2xx reply that is not a CSV (usually an HTML page)
	KindNotDownloadable                 // 400 "Codelist is not downloadable"
	KindBadCSV                          // text/csv that does not parse
	KindServer                          // 5xx after all retries, or another unexpected status
	KindBadReply                        // an API reply that is not the JSON expected
)

// Error is a failed request, with what to do about it.
type Error struct {
	Kind   Kind
	ID     string // the codelist id, for downloads
	URL    string // the page a user can open to see the problem
	Status int    // HTTP status, when there was a reply
	Err    error
}

func (e *Error) Error() string {
	what := "OpenCodelists"
	if e.ID != "" {
		what = e.ID
	}
	switch e.Kind {
	case KindUnreachable:
		return fmt.Sprintf("could not contact the OpenCodelists server for %s: %v (check your network or --opencodelists-url, then try again)", what, e.Err)
	case KindNotFound:
		return fmt.Sprintf("%s was not found on OpenCodelists (HTTP 404): check the organisation or user, the codelist and the version at %s", what, e.URL)
	case KindDraft:
		return fmt.Sprintf("Codelist at:\n%s\nis a draft codelist and cannot be added: publish it (or ask its owner to), or choose a published version", e.URL)
	case KindNotCSV:
		return fmt.Sprintf("Error downloading codelist %s: No codelist found at URL (the server sent %v instead of a CSV; drafts look like this too)\n\nCheck that you can access the codelist at:\n%s", what, e.Err, e.URL)
	case KindNotDownloadable:
		return fmt.Sprintf("%s is not downloadable from OpenCodelists (its CSV has no recognised code column): ask the codelist's owner, or pick another version at %s", what, e.URL)
	case KindBadCSV:
		return fmt.Sprintf("the download of %s is not a valid CSV: %v\n\nCheck that you can access the codelist at:\n%s", what, e.Err, e.URL)
	case KindServer:
		return fmt.Sprintf("OpenCodelists failed for %s (HTTP %d) after retrying: try again later", what, e.Status)
	case KindBadReply:
		return fmt.Sprintf("unexpected reply from OpenCodelists for %s: %v", what, e.Err)
	}
	return fmt.Sprintf("%s: %v", what, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// IsUnreachable reports whether err means the server could not be contacted at all.
func IsUnreachable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindUnreachable
}

// reply is a completely read HTTP response.
type reply struct {
	status   int
	header   http.Header
	body     []byte
	finalURL *url.URL
}

// do sends a request, retrying 5xx replies and connection failures with backoff. The whole
// body is read within the attempt's timeout, so a connection dropped mid-body is retried too.
func (c *Client) do(ctx context.Context, method, rawURL, contentType string, body []byte) (*reply, error) {
	wait := c.Backoff
	var lastErr error
	var last *reply
	for attempt := 0; attempt <= c.Retries; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
			wait *= 2
		}
		r, err := c.once(ctx, method, rawURL, contentType, body)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			lastErr, last = err, nil
			continue
		}
		if r.status >= 500 {
			lastErr, last = nil, r
			continue
		}
		return r, nil
	}
	if last != nil {
		return last, nil // the caller reports the 5xx
	}
	return nil, &Error{Kind: KindUnreachable, Err: lastErr}
}

func (c *Client) once(ctx context.Context, method, rawURL, contentType string, body []byte) (*reply, error) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.UserAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, describeNetErr(err)
	}
	defer resp.Body.Close()
	max := c.MaxBody
	if max <= 0 {
		max = 64 << 20
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("the connection broke during the download: %w", describeNetErr(err))
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("the reply is larger than %d bytes", max)
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: b, finalURL: resp.Request.URL}, nil
}

// describeNetErr turns timeouts into a plain message and leaves other errors alone.
func describeNetErr(err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("timed out: %w", err)
	}
	return err
}

// Download fetches the CSV of one codelists.txt line and checks it: a 2xx reply, of type
// text/csv, that parses as a CSV with a header. It returns the body as served (the SHA is
// computed over these bytes).
func (c *Client) Download(ctx context.Context, line analysis.CodelistLine) ([]byte, error) {
	page := line.VersionURL(c.BaseURL)
	fail := func(k Kind, status int, err error) error {
		return &Error{Kind: k, ID: line.ID, URL: page, Status: status, Err: err}
	}
	r, err := c.do(ctx, http.MethodGet, line.DownloadURL(c.BaseURL), "", nil)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.ID, e.URL = line.ID, page
		}
		return nil, err
	}
	switch {
	case r.status == http.StatusNotFound:
		return nil, fail(KindNotFound, r.status, nil)
	case r.status == http.StatusBadRequest && bytes.Contains(bytes.ToLower(r.body), []byte("not downloadable")):
		return nil, fail(KindNotDownloadable, r.status, nil)
	case r.status >= 500:
		return nil, fail(KindServer, r.status, nil)
	case r.status < 200 || r.status > 299:
		return nil, fail(KindServer, r.status, fmt.Errorf("HTTP %d", r.status))
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if mt != "text/csv" {
		lower := bytes.ToLower(r.body)
		if strings.HasPrefix(r.finalURL.Path, "/builder/") || bytes.Contains(lower, []byte("this version is a draft")) || bytes.Contains(lower, []byte("(draft)</title>")) {
			return nil, fail(KindDraft, r.status, nil)
		}
		if mt == "" {
			mt = "a reply without a content type"
		}
		return nil, fail(KindNotCSV, r.status, errors.New(mt))
	}
	if _, err := analysis.DescribeCSV(r.body); err != nil {
		return nil, fail(KindBadCSV, r.status, err)
	}
	return r.body, nil
}

// CheckResult is the reply of POST /api/v1/check/.
type CheckResult struct {
	OK      bool
	Error   string   // a problem with the request, e.g. "<line> could not be found"
	Added   []string // ids in codelists.txt but not in the manifest
	Removed []string // ids in the manifest but not in codelists.txt
	Changed []string // ids whose downloaded SHA no longer matches the server's content
}

// Check asks the server whether the study's codelists are current, sending codelists.txt
// and codelists.json as opensafely-cli does (a form with fields codelists and manifest).
func (c *Client) Check(ctx context.Context, codelistsTxt, manifest []byte) (*CheckResult, error) {
	form := url.Values{"codelists": {string(codelistsTxt)}, "manifest": {string(manifest)}}
	r, err := c.do(ctx, http.MethodPost, c.BaseURL+"/api/v1/check/", "application/x-www-form-urlencoded", []byte(form.Encode()))
	if err != nil {
		return nil, err
	}
	if r.status >= 500 {
		return nil, &Error{Kind: KindServer, Status: r.status}
	}
	var body struct {
		Status string `json:"status"`
		Data   struct {
			Error   string   `json:"error"`
			Added   []string `json:"added"`
			Removed []string `json:"removed"`
			Changed []string `json:"changed"`
		} `json:"data"`
	}
	if r.status != http.StatusOK {
		return nil, &Error{Kind: KindBadReply, Status: r.status, Err: fmt.Errorf("HTTP %d from /api/v1/check/", r.status)}
	}
	if err := json.Unmarshal(r.body, &body); err != nil || (body.Status != "ok" && body.Status != "error") {
		if err == nil {
			err = fmt.Errorf("status %q", body.Status)
		}
		return nil, &Error{Kind: KindBadReply, Status: r.status, Err: err}
	}
	return &CheckResult{OK: body.Status == "ok", Error: body.Data.Error, Added: body.Data.Added, Removed: body.Data.Removed, Changed: body.Data.Changed}, nil
}

// Codelist is one codelist as listed by GET /api/v1/codelist/.
type Codelist struct {
	FullSlug     string    `json:"full_slug"` // "opensafely/asthma-diagnosis" or "user/jdoe/my-list"
	Slug         string    `json:"slug"`
	Name         string    `json:"name"`
	CodingSystem string    `json:"coding_system_id"`
	Organisation string    `json:"organisation"`
	User         string    `json:"user"`
	Versions     []Version `json:"versions"`
}

// Version is one version of a Codelist.
type Version struct {
	Hash         string `json:"hash"`
	Tag          string `json:"tag"`
	FullSlug     string `json:"full_slug"` // the line to put in codelists.txt
	Status       string `json:"status"`    // "draft", "under review" or "published"
	Downloadable bool   `json:"downloadable"`
	UpdatedDate  string `json:"updated_date"`
}

// Codelists lists the codelists of owner ("opensafely", "user/jdoe"), or of every
// organisation when owner is empty.
func (c *Client) Codelists(ctx context.Context, owner string) ([]Codelist, error) {
	u := c.BaseURL + "/api/v1/codelist/"
	if owner != "" {
		u += strings.Trim(owner, "/") + "/"
	}
	r, err := c.do(ctx, http.MethodGet, u, "", nil)
	if err != nil {
		return nil, err
	}
	switch {
	case r.status == http.StatusNotFound:
		return nil, &Error{Kind: KindNotFound, ID: owner, URL: u, Status: r.status}
	case r.status >= 500:
		return nil, &Error{Kind: KindServer, ID: owner, Status: r.status}
	case r.status != http.StatusOK:
		return nil, &Error{Kind: KindBadReply, ID: owner, Status: r.status, Err: fmt.Errorf("HTTP %d", r.status)}
	}
	var body struct {
		Codelists []Codelist `json:"codelists"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		return nil, &Error{Kind: KindBadReply, ID: owner, Err: err}
	}
	return body.Codelists, nil
}
