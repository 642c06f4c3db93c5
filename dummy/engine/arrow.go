package engine

import (
	"io"
)

func newArrowWriter(af *atomicFile) Writer { return NewCSVWriter(af, af) }

func readTableArrow(r io.ReadSeeker, display string, ts *TableSchema) (*Table, error) {
	return nil, validationErr("%s: reading Arrow files is not supported yet", pyRepr(display))
}

func arrowColumns(r io.ReadSeeker) ([]string, error) {
	return nil, validationErr("reading Arrow files is not supported yet")
}
