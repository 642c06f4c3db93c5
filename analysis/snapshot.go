package analysis

import (
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

// FSSnapshot is a Snapshot over an fs.FS (os.DirFS for a study on disk). The file list is
// walked once, on first use, and kept; make a new FSSnapshot to see changes.
type FSSnapshot struct {
	FS fs.FS

	once  sync.Once
	files []string

	indexOnce sync.Once
	index     *FileIndex
}

// FileIndex answers "is this file in the study?" quickly, exactly and ignoring case. Checks
// that look up many paths ask a snapshot for one when it can keep it between checks.
type FileIndex struct {
	exact map[string]bool   // files, and directories as "dir/"
	lower map[string]string // lower-case path -> real path
}

// NewFileIndex indexes a list of study files.
func NewFileIndex(files []string) *FileIndex {
	ix := &FileIndex{exact: make(map[string]bool, len(files)), lower: make(map[string]string, len(files))}
	for _, f := range files {
		ix.exact[f] = true
		ix.lower[strings.ToLower(f)] = f
		for d := path.Dir(f); d != "." && d != "/" && d != ""; d = path.Dir(d) {
			if ix.exact[d+"/"] {
				break
			}
			ix.exact[d+"/"] = true
		}
	}
	return ix
}

// Has reports whether p is a file, or (with a trailing slash) a directory, of the study.
func (ix *FileIndex) Has(p string) bool { return ix.exact[p] }

// Fold returns the study's path that equals p ignoring case.
func (ix *FileIndex) Fold(p string) (string, bool) {
	r, ok := ix.lower[strings.ToLower(p)]
	return r, ok
}

// indexer is implemented by snapshots that keep a FileIndex.
type indexer interface{ FileIndex() *FileIndex }

// FileIndex returns the snapshot's file index, built once.
func (s *FSSnapshot) FileIndex() *FileIndex {
	s.indexOnce.Do(func() { s.index = NewFileIndex(s.Files()) })
	return s.index
}

// FileIndex returns the base snapshot's index when every buffer is a file it has already,
// and otherwise an index of the merged list.
func (o *Overlay) FileIndex() *FileIndex {
	if bi, ok := o.Base.(indexer); ok {
		ix := bi.FileIndex()
		all := true
		for f := range o.Buffers {
			if !ix.Has(f) {
				all = false
				break
			}
		}
		if all {
			return ix
		}
	}
	return NewFileIndex(o.Files())
}

// indexOf returns a snapshot's file index.
func indexOf(snap Snapshot) *FileIndex {
	if i, ok := snap.(indexer); ok {
		return i.FileIndex()
	}
	return NewFileIndex(snap.Files())
}

// skipDirs are folders never listed: version control, editor caches and dependencies.
var skipDirs = map[string]bool{".git": true, "node_modules": true, ".venv": true, "venv": true, "__pycache__": true, ".mypy_cache": true, ".pytest_cache": true}

// maxListedFiles bounds the walk of huge folders (a study with a giant output/ folder).
const maxListedFiles = 200000

// NewFSSnapshot returns a snapshot of fsys.
func NewFSSnapshot(fsys fs.FS) *FSSnapshot { return &FSSnapshot{FS: fsys} }

// ReadFile implements Snapshot.
func (s *FSSnapshot) ReadFile(p string) ([]byte, error) {
	return fs.ReadFile(s.FS, cleanRel(p))
}

// Exists implements Snapshot.
func (s *FSSnapshot) Exists(p string) bool {
	_, err := fs.Stat(s.FS, cleanRel(p))
	return err == nil
}

// Files implements Snapshot.
func (s *FSSnapshot) Files() []string {
	s.once.Do(func() {
		errStop := errors.New("stop")
		_ = fs.WalkDir(s.FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if p != "." && skipDirs[d.Name()] {
					return fs.SkipDir
				}
				return nil
			}
			s.files = append(s.files, p)
			if len(s.files) >= maxListedFiles {
				return errStop
			}
			return nil
		})
		sort.Strings(s.files)
	})
	return s.files
}

func cleanRel(p string) string {
	p = path.Clean(strings.TrimPrefix(p, "/"))
	if p == "" {
		return "."
	}
	return p
}

// Overlay is a Snapshot whose files are those of Base, replaced or added by Files (unsaved
// editor buffers).
type Overlay struct {
	Base    Snapshot
	Buffers map[string][]byte
}

// ReadFile implements Snapshot.
func (o *Overlay) ReadFile(p string) ([]byte, error) {
	if b, ok := o.Buffers[cleanRel(p)]; ok {
		return b, nil
	}
	if o.Base == nil {
		return nil, fs.ErrNotExist
	}
	return o.Base.ReadFile(p)
}

// Exists implements Snapshot.
func (o *Overlay) Exists(p string) bool {
	if _, ok := o.Buffers[cleanRel(p)]; ok {
		return true
	}
	return o.Base != nil && o.Base.Exists(p)
}

// Files implements Snapshot.
func (o *Overlay) Files() []string {
	var base []string
	if o.Base != nil {
		base = o.Base.Files()
	}
	if len(o.Buffers) == 0 {
		return base
	}
	seen := make(map[string]bool, len(base))
	out := append([]string(nil), base...)
	for _, f := range base {
		seen[f] = true
	}
	for f := range o.Buffers {
		if !seen[f] {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// MapSnapshot is an in-memory Snapshot, for tests and fuzzing.
type MapSnapshot map[string]string

// ReadFile implements Snapshot.
func (m MapSnapshot) ReadFile(p string) ([]byte, error) {
	if s, ok := m[cleanRel(p)]; ok {
		return []byte(s), nil
	}
	return nil, fs.ErrNotExist
}

// Exists implements Snapshot.
func (m MapSnapshot) Exists(p string) bool {
	p = cleanRel(p)
	if _, ok := m[p]; ok {
		return true
	}
	for f := range m {
		if strings.HasPrefix(f, p+"/") {
			return true
		}
	}
	return false
}

// Files implements Snapshot.
func (m MapSnapshot) Files() []string {
	out := make([]string, 0, len(m))
	for f := range m {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// CheckStudy checks every file of the study that osls understands and returns all
// diagnostics, sorted: project.yaml at the root and, when present, codelists/codelists.txt
// with its manifest and CSVs.
func CheckStudy(snap Snapshot) ([]Diagnostic, error) {
	text, err := snap.ReadFile(ProjectFile)
	if err != nil {
		return nil, err
	}
	p := ParseProject(ProjectFile, text)
	ds := CheckParsedProject(snap, p)
	ds = append(ds, CheckCodelists(snap)...)
	ds = append(ds, CheckDefinitions(snap, p)...)
	SortDiagnostics(ds)
	return ds, nil
}
