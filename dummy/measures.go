package dummy

import (
	"context"

	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/dummy/engine"
	"github.com/opensafely-core/osls/dummy/generate"
)

type measuresProgram struct {
	Program *engine.Program
}

func compileMeasures(m *qm.Measures) (*measuresProgram, error) {
	return nil, errorf(ExitDefinition, "measures are not supported yet")
}

func newMeasuresGenerator(o *Options, mp *measuresProgram, m *qm.Measures) (*generate.Generator, error) {
	return nil, errorf(ExitDefinition, "measures are not supported yet")
}

// GenerateMeasures is `generate-measures`.
func GenerateMeasures(ctx context.Context, o Options) error {
	return errorf(ExitDefinition, "measures are not supported yet")
}
