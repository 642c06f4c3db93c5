package engine

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzReadTableCSV checks that the dummy-table reader never panics, reports every problem
// as a FileValidationError, and that what it accepts survives a write and a re-read.
func FuzzReadTableCSV(f *testing.F) {
	for _, s := range []string{
		"patient_id,sex,i,f,a,date_of_birth\n1,male,2,1.5,T,2020-01-01\n",
		"patient_id,sex\n1,\"fe\"\"male\"\n",
		"sex,patient_id\r\nmale,1\r\n,2\r\n",
		"patient_id\n1_000\n",
		"patient_id,f\n1,1e400\n2,nan\n",
		"\ufeffpatient_id,i\n1,  3 \n",
	} {
		f.Add(s)
	}
	ts := &TableSchema{Name: "patients", Patient: true, Columns: tPatients.Columns, Used: map[string]bool{}}
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := ReadTableCSV(strings.NewReader(in), "t.csv", ts)
		if err != nil {
			var v *FileValidationError
			if !errors.As(err, &v) {
				t.Fatalf("not a FileValidationError: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		w := NewCSVWriter(&buf)
		var cols []OutColumn
		for _, c := range ts.Columns {
			cols = append(cols, OutColumn{Name: c.Name, Type: c.Type})
		}
		w.Header(cols)
		for i, id := range tab.IDs {
			w.Row(id, tab.Rows[i])
		}
		w.Close()
		again, err := ReadTableCSV(&buf, "t.csv", ts)
		if err != nil {
			t.Fatalf("re-reading what we wrote: %v\n%q", err, buf.String())
		}
		if len(again.Rows) != len(tab.Rows) {
			t.Fatalf("%d rows, then %d", len(tab.Rows), len(again.Rows))
		}
		for i := range tab.Rows {
			for j, v := range tab.Rows[i] {
				w := again.Rows[i][j]
				if v.K == KStr && v.S == "" {
					continue // an empty string reads back as NULL, as in ehrQL
				}
				if v.K != w.K || (v.K != KNull && !Equal(v, w) && !(v.K == KFloat && v.F != v.F)) {
					t.Fatalf("row %d col %d: %+v then %+v", i, j, v, w)
				}
			}
		}
	})
}
