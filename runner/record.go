package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MetadataDir is the study folder that holds logs and run records.
const MetadataDir = "metadata"

// jobsDir is where job working copies live while they run (inside metadata/, so they are on
// the study's file system and outputs can be moved into place with a rename).
const jobsDir = MetadataDir + "/.osls-jobs"

// historyFile gets one JSON line per finished run.
const historyFile = MetadataDir + "/osls-runs.jsonl"

// LogPath returns the study-relative path of an action's log.
func LogPath(action string) string { return MetadataDir + "/" + action + ".log" }

// RecordPath returns the study-relative path of an action's run record.
func RecordPath(action string) string { return MetadataDir + "/" + action + ".run.json" }

// ReadRecord reads the record of an action's last run in the study at dir. It returns nil,
// nil when the action has never run (or its record cannot be understood, which the planner
// treats the same way).
func ReadRecord(dir, action string) (*Record, error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(RecordPath(action))))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the run record of %s: %w", action, err)
	}
	var r Record
	if json.Unmarshal(b, &r) != nil || r.Action != action {
		return nil, nil
	}
	return &r, nil
}

// writeRecord stores an action's record atomically, and appends finished ones to the history.
func writeRecord(dir string, r *Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, filepath.FromSlash(RecordPath(r.Action))), append(b, '\n')); err != nil {
		return fmt.Errorf("writing the run record of %s: %w", r.Action, err)
	}
	if r.Status == StatusRunning {
		return nil
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, filepath.FromSlash(historyFile)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing the run history: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFileAtomic writes data to a temporary file beside name, then renames it into place.
func writeFileAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// hashFile returns the size and SHA-256 of a file.
func hashFile(name string) (int64, string, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// fileRecord describes a study-relative file under root.
func fileRecord(root, rel string) (FileRecord, error) {
	n, sum, err := hashFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return FileRecord{}, err
	}
	return FileRecord{Path: rel, Size: n, SHA256: sum}, nil
}

// validActionID reports whether an action id can name files in metadata/.
func validActionID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\\\x00") || strings.HasPrefix(id, ".") {
		return fmt.Errorf("the action id %q cannot be used as a file name in metadata/; rename the action", id)
	}
	return nil
}
