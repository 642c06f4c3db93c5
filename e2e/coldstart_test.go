package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestColdStart measures, on the 2,191-action real project, the time from starting the
// osls binary to its first publishDiagnostics, and its resident memory once it has checked
// the file. Run with OSLS_BENCH=1 go test ./e2e -run ColdStart -v.
func TestColdStart(t *testing.T) {
	if os.Getenv("OSLS_BENCH") == "" {
		t.Skip("set OSLS_BENCH=1 to measure")
	}
	const big = "/work/shared/corpus/real/opensafely__disparities-comparison/project.yaml"
	text, err := os.ReadFile(big)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	bin := osls(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "project.yaml"), text, 0o644)
	uri := "file://" + filepath.Join(dir, "project.yaml")

	start := time.Now()
	cmd := exec.Command(bin, "serve")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(stdin, "Content-Length: %d\r\n\r\n%s", len(b), b)
	}
	send(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{"processId": nil, "rootUri": "file://" + dir, "capabilities": map[string]any{}}})
	send(map[string]any{"jsonrpc": "2.0", "method": "initialized", "params": map[string]any{}})
	send(map[string]any{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "yaml", "version": 1, "text": string(text)}}})
	in := bufio.NewReader(stdout)
	for {
		n := 0
		for {
			line, err := in.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				n, _ = strconv.Atoi(v)
			}
		}
		body := make([]byte, n)
		io.ReadFull(in, body)
		if strings.Contains(string(body[:min(200, len(body))]), "publishDiagnostics") {
			break
		}
	}
	elapsed := time.Since(start)
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	rss := ""
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			rss = strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
	}
	t.Logf("start to first diagnostics: %v; resident memory: %s", elapsed, rss)
	fmt.Printf("cold start to first diagnostics: %v\nresident memory after opening: %s\n", elapsed, rss)
}
