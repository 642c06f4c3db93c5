//go:build !unix

package runner

import "os/exec"

func setProcessGroup(cmd *exec.Cmd) {}

// signalGroup stops the job's process; without process groups its children may survive.
func signalGroup(cmd *exec.Cmd, kill bool) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
