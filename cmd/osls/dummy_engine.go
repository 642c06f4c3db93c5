package main

import (
	"context"
	"fmt"

	"github.com/opensafely-core/osls/dummy"
	"github.com/opensafely-core/osls/runner"
)

func init() { runner.SetEhrQLEngine(dummyEngine{}) }

// dummyEngine runs the ehrQL actions of `osls run` with osls's own engine.
type dummyEngine struct{}

// Run implements runner.EhrQLEngine.
func (dummyEngine) Run(ctx context.Context, job runner.EhrQLJob) error {
	o := dummy.Options{
		Definition: job.Definition, WorkDir: job.WorkDir, Version: job.Version, Output: job.Output,
		DummyTables: job.DummyTables, DummyDataFile: job.DummyDataFile, Params: job.Params,
		Stdout: job.Log, Log: job.Log,
	}
	var err error
	switch job.Command {
	case "generate-dataset", "generate_dataset":
		err = dummy.GenerateDataset(ctx, o)
	case "generate-measures":
		err = dummy.GenerateMeasures(ctx, o)
	case "create-dummy-tables":
		if len(job.Args) > 2 {
			o.Output = job.Args[2]
		}
		err = dummy.CreateDummyTables(ctx, o)
	default:
		return fmt.Errorf("osls's ehrQL engine does not run %q; run this action with --docker", job.Command)
	}
	if err != nil {
		return fmt.Errorf("ehrQL %s failed (exit status %d): %w", job.Command, dummy.ExitCode(err), err)
	}
	return nil
}
