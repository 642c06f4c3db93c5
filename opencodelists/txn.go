package opencodelists

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// txn replaces and removes files of one folder all together. New contents are written to a
// temporary folder inside it first (same file system, so renames are atomic); commit moves
// the current files aside into a backup folder, renames the new ones into place, and on any
// failure renames everything back.
type txn struct {
	dir  string // the folder changed (codelists/)
	tmp  string // staging folder inside dir
	puts []string
	dels []string
	keep bool // restoring failed: leave the staging folder for the user
}

func newTxn(dir string) (*txn, error) {
	tmp, err := os.MkdirTemp(dir, ".osls-tmp-")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary folder in %s: %w", dir, err)
	}
	if err := os.Mkdir(filepath.Join(tmp, "new"), 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(tmp, "old"), 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &txn{dir: dir, tmp: tmp}, nil
}

// put stages name (a plain file name in dir) with data.
func (t *txn) put(name string, data []byte) error {
	if name != filepath.Base(name) || name == "." || name == ".." {
		return fmt.Errorf("refusing to write %q outside the codelists folder", name)
	}
	if err := writeFileSync(filepath.Join(t.tmp, "new", name), data); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	t.puts = append(t.puts, name)
	return nil
}

// remove stages the deletion of name.
func (t *txn) remove(name string) error {
	if name != filepath.Base(name) {
		return fmt.Errorf("refusing to delete %q outside the codelists folder", name)
	}
	t.dels = append(t.dels, name)
	return nil
}

// step is one rename done by commit, undone in reverse on failure.
type step struct{ from, to string }

// commit applies the staged changes, or none of them.
func (t *txn) commit() error {
	var done []step
	rename := func(from, to string) error {
		if err := os.Rename(from, to); err != nil {
			return err
		}
		done = append(done, step{from, to})
		return nil
	}
	undo := func(cause error) error {
		var errs []error
		for i := len(done) - 1; i >= 0; i-- {
			if err := os.Rename(done[i].to, done[i].from); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			t.keep = true
			return fmt.Errorf("%w; restoring the previous files also failed (they are kept in %s): %v", cause, t.tmp, errors.Join(errs...))
		}
		return cause
	}
	// Move aside every file that will be replaced or deleted.
	for _, name := range append(append([]string(nil), t.puts...), t.dels...) {
		cur := filepath.Join(t.dir, name)
		if _, err := os.Lstat(cur); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := rename(cur, filepath.Join(t.tmp, "old", name)); err != nil {
			return undo(fmt.Errorf("moving %s aside: %w", name, err))
		}
	}
	for _, name := range t.puts {
		if err := rename(filepath.Join(t.tmp, "new", name), filepath.Join(t.dir, name)); err != nil {
			return undo(fmt.Errorf("moving the new %s into place: %w", name, err))
		}
	}
	return nil
}

// abort drops the staged changes and returns cause.
func (t *txn) abort(cause error) error {
	t.cleanup()
	return cause
}

// cleanup removes the staging folder (after a commit it holds only the old files).
func (t *txn) cleanup() {
	if !t.keep {
		os.RemoveAll(t.tmp)
	}
}

// writeFileSync writes a file and flushes it to disk before it is renamed into place.
func writeFileSync(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
