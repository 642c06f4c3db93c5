package lsp

import (
	"io"
	"log"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
)

// BenchmarkEhrQLDiagnosticsAfterEdit measures, for a dataset definition, the time from an
// edit to its published diagnostics (without the debounce, which is a fixed wait).
func BenchmarkEhrQLDiagnosticsAfterEdit(b *testing.B) {
	c := newTestClient(b, ehrqlStudy, clientOptions{logger: log.New(io.Discard, "", 0)})
	c.server.diag.mu.Lock()
	c.server.diag.debounce = 0
	c.server.diag.mu.Unlock()
	text := ehrqlStudy["analysis/dataset_definition.py"]
	u := c.open("analysis/dataset_definition.py", text)
	c.waitDiags(u, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		edited := text + strings.Repeat("\n", i%7+1) + "x = patients.date_of_birth\n"
		c.waitDiags(u, c.change(u, edited))
	}
}

// BenchmarkEhrQLCompletionAfterDot measures completion after `.` on a half-typed line, which
// re-analyses the definition with the line repaired.
func BenchmarkEhrQLCompletionAfterDot(b *testing.B) {
	c := newTestClient(b, ehrqlStudy, clientOptions{logger: log.New(io.Discard, "", 0)})
	text := ehrqlStudy["analysis/dataset_definition.py"] + "x = events.sort_by(events.date).first_for_patient().\n"
	u := c.open("analysis/dataset_definition.py", text)
	c.waitDiags(u, 1)
	params := at(u, text, "first_for_patient().", len("first_for_patient()."))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var list protocol.CompletionList
		c.call("textDocument/completion", params, &list)
		if len(list.Items) == 0 {
			b.Fatal("no completions")
		}
	}
}
