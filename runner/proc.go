package runner

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"time"
)

// processResult is how a job's process ended.
type processResult struct {
	exitCode  int
	cancelled bool
	err       error // the process could not start, or ended by a signal
}

// runProcess starts argv in dir, in a process group of its own, with stdout and stderr
// going to out. When ctx ends, the whole group gets SIGTERM, then SIGKILL after grace;
// onCancel (if set) runs too. When the main process exits, anything left in its group is
// killed, so no part of a job outlives it.
func runProcess(ctx context.Context, argv []string, dir string, env []string, out io.Writer, grace time.Duration, onCancel func()) processResult {
	pr, pw, err := os.Pipe()
	if err != nil {
		return processResult{exitCode: -1, err: err}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = nil
	cmd.Stdout = pw
	cmd.Stderr = pw
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return processResult{exitCode: -1, err: err}
	}
	pw.Close()
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(out, pr)
		close(copied)
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	var werr error
	cancelled := false
	select {
	case werr = <-waited:
	case <-ctx.Done():
		cancelled = true
		if onCancel != nil {
			go onCancel()
		}
		signalGroup(cmd, false)
		t := time.NewTimer(grace)
		select {
		case werr = <-waited:
			t.Stop()
		case <-t.C:
			signalGroup(cmd, true)
			werr = <-waited
		}
	}
	signalGroup(cmd, true) // stragglers left in the group
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
		// Something outside the group still holds the pipe; stop reading.
	}
	pr.Close()
	res := processResult{exitCode: cmd.ProcessState.ExitCode(), cancelled: cancelled}
	var ee *exec.ExitError
	if werr != nil && !errors.As(werr, &ee) {
		res.err = werr
	}
	if res.exitCode < 0 && !cancelled {
		res.err = werr
	}
	return res
}
