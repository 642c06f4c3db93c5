package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/schema"
)

// Registry is where the OpenSAFELY images come from.
const Registry = "ghcr.io/opensafely-core/"

// dockerBinary is the docker command line: $OSLS_DOCKER when set (a docker-compatible
// command such as podman, or a stand-in for tests), else docker.
var dockerBinary = func() string {
	if d := os.Getenv("OSLS_DOCKER"); d != "" {
		return d
	}
	return "docker"
}()

// DockerAvailable runs `docker info` and explains what is wrong when it fails.
func DockerAvailable(ctx context.Context) error {
	bin, err := exec.LookPath(dockerBinary)
	if err != nil {
		return fmt.Errorf("Docker is not available: could not find the docker command. Install Docker, or run without --docker")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "info")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("Docker is not available: `docker info` failed (%s). It looks like Docker is installed but not started: start it, or run without --docker", msg)
	}
	return nil
}

// dockerCommand runs the action in its image as opensafely-cli does: the workspace mounted
// at /workspace, no network, 2 CPUs and 4 GB, the user's own uid on Linux, and only
// OPENSAFELY_BACKEND (and a Stata licence) in the environment.
func dockerCommand(a *analysis.Action, img schema.Image, args []string, ws string) *command {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "os-job-osls-" + a.ID + "-" + hex.EncodeToString(b[:])
	argv := []string{dockerBinary, "run", "--rm", "--init", "--name", name, "--label", "osls",
		"--network", "none",
		"--mount", "type=bind,source=" + ws + ",target=/workspace",
		"--cpus", "2", "--memory", "4G"}
	if runtime.GOOS == "linux" && os.Getuid() != 0 {
		argv = append(argv, "--user", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()), "--env", "HOME=/tmp")
	}
	argv = append(argv, "--env", "OPENSAFELY_BACKEND=expectations")
	var env []string
	if img.Name == "stata-mp" {
		if lic := os.Getenv("STATA_LICENSE"); lic != "" {
			argv = append(argv, "--env", "STATA_LICENSE")
			env = append(env, "STATA_LICENSE="+lic)
		}
	}
	argv = append(argv, Registry+img.Name+":"+a.Tag)
	argv = append(argv, args...)
	return &command{mode: "docker", argv: argv, env: env, container: name}
}

// stopContainer removes a job's container when the job is cancelled (stopping the docker
// client does not stop the container).
func stopContainer(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = exec.CommandContext(ctx, dockerBinary, "rm", "--force", name).Run()
}
