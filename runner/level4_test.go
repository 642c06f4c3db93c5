package runner

import (
	"fmt"
	"strings"
	"testing"
)

func TestCheckLevel4(t *testing.T) {
	rows := func(n int) string {
		var b strings.Builder
		b.WriteString("group,count\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "g%d,%d\n", i, i)
		}
		return b.String()
	}
	tests := []struct {
		name, content string
		size          int64 // 0: the content's length
		want          []string
	}{
		{"output/table.csv", "sex,count\nF,10\n", 0, nil},
		{"output/plot.png", "\x89PNG", 0, nil},
		{"output/table.csv", "patient_id,age\n1,2\n", 0, []string{"File has patient_id column"}},
		{"output/table.csv", rows(5000), 0, nil},
		{"output/table.csv", rows(5001), 0, []string{"File row count (5001) exceeds maximum allowed rows (5000)"}},
		{"output/table.csv", "patient_id\n" + strings.Repeat("1\n", 5001), 0, []string{"File has patient_id column", "File row count (5001) exceeds maximum allowed rows (5000)"}},
		{"output/table.csv", "a,b\n\"multi\nline\",1\n", 0, nil},
		{"output/data.csv.gz", "", 0, []string{"File type of .gz is not valid level 4 file"}},
		{"output/report.pdf", "", 0, []string{"File type of .pdf is not valid level 4 file"}},
		{"output/big.csv", "patient_id\n", 17 * 1024 * 1024, []string{"File size of 17.00Mb is larger that limit of 16.0Mb."}},
		{"output/empty.csv", "", 0, nil},
	}
	for _, tt := range tests {
		size := tt.size
		if size == 0 {
			size = int64(len(tt.content))
		}
		var got []string
		for _, f := range CheckLevel4(tt.name, strings.NewReader(tt.content), size) {
			if f.Kind != FindingLevel4 || f.Path != tt.name {
				t.Errorf("%s: finding %+v", tt.name, f)
			}
			got = append(got, f.Message)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s (%d bytes): got %q, want %q", tt.name, size, got, tt.want)
		}
	}
}
