package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/dummy"
)

func init() {
	extraCommands = append(extraCommands, newGenerateDatasetCmd, newCreateDummyTablesCmd)
}

// dummyFlags are the flags shared by the ehrQL commands osls runs itself.
type dummyFlags struct {
	o     dummy.Options
	today string
	seed  string
}

func (d *dummyFlags) register(cmd *cobra.Command, outputs bool) {
	f := cmd.Flags()
	if outputs {
		f.StringVar(&d.o.Output, "output", "", "where to write: a .csv, .csv.gz or .arrow file, or DIR:EXT for one file per table (default: CSV on stdout)")
		f.StringVar(&d.o.DummyTables, "dummy-tables", "", "evaluate the definition over the tables in this folder (one <table>.csv per table) instead of generating data")
		f.StringVar(&d.o.DummyDataFile, "dummy-data-file", "", "check this ready-made dummy dataset against the definition and copy it to the output")
	}
	f.IntVar(&d.o.PopulationSize, "population-size", 0, "number of patients to generate (default: configure_dummy_data's population_size, else 10)")
	f.StringVar(&d.seed, "seed", "0", "seed for generated data: the same seed and --today give the same data")
	f.StringVar(&d.today, "today", "", "the date generated data treats as today, YYYY-MM-DD (default: the real date)")
	f.StringVar(&d.o.Version, "ehrql-version", "v1", "ehrQL API version (v1 or v0)")
	cmd.Flags().SetInterspersed(true)
}

func (d *dummyFlags) prepare(cmd *cobra.Command, args []string) error {
	d.o.Definition = args[0]
	if i := cmd.ArgsLenAtDash(); i >= 0 {
		d.o.Params = append([]string(nil), args[i:]...)
	}
	if d.today != "" {
		t, err := qm.ParseDate(d.today)
		if err != nil {
			return usageErr("--today: %v", err)
		}
		d.o.Today = t
	}
	seed, err := strconv.ParseUint(d.seed, 10, 64)
	if err != nil {
		return usageErr("--seed must be a non-negative integer")
	}
	d.o.Seed = seed
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	d.o.WorkDir = wd
	d.o.Stdout = cmd.OutOrStdout()
	d.o.Log = cmd.ErrOrStderr()
	return nil
}

func definitionArgs(cmd *cobra.Command, args []string) error {
	n := len(args)
	if i := cmd.ArgsLenAtDash(); i >= 0 {
		n = i
	}
	if n != 1 {
		return usageErr("expected one dataset definition file (and user parameters after --)")
	}
	return nil
}

// dummyErr converts an engine error into an exit status with its message.
func dummyErr(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{code: dummy.ExitCode(err), err: err}
}

func newGenerateDatasetCmd() *cobra.Command {
	var d dummyFlags
	cmd := &cobra.Command{
		Use:   "generate-dataset DEFINITION [--output FILE] [--dummy-tables DIR] [--dummy-data-file FILE] [-- PARAMS...]",
		Short: "Run an ehrQL dataset definition on dummy data, without Docker",
		Long: `Run an ehrQL dataset definition as ehrQL's generate-dataset does, without Docker: with
--dummy-tables, evaluate it over those tables; with --dummy-data-file, check that file and
copy it; otherwise generate dummy patients that satisfy the population.

Exit status: 0 on success, 10 for an error in the definition, 11 for invalid dummy tables
or dummy data, 12 for a table that needs a permission the definition does not claim, 2 for
a usage error.`,
		Args: definitionArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := d.prepare(cmd, args); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return dummyErr(dummy.GenerateDataset(ctx, d.o))
		},
	}
	d.register(cmd, true)
	return cmd
}

func newCreateDummyTablesCmd() *cobra.Command {
	var d dummyFlags
	cmd := &cobra.Command{
		Use:   "create-dummy-tables DEFINITION DIR [-- PARAMS...]",
		Short: "Write generated dummy source tables as CSV files you can edit",
		Long: `Generate dummy patients for a dataset (or measures) definition and write the tables it
uses, one DIR/<table>.csv per table with the columns the definition reads. Edit them and
feed them back with generate-dataset --dummy-tables DIR. DIR:csv.gz and DIR:arrow choose
another format.`,
		Args: func(cmd *cobra.Command, args []string) error {
			n := len(args)
			if i := cmd.ArgsLenAtDash(); i >= 0 {
				n = i
			}
			if n != 2 {
				return usageErr("expected a dataset definition and a folder")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[1]
			rest := append([]string{args[0]}, args[2:]...)
			if err := d.prepare(cmd, rest); err != nil {
				return err
			}
			if i := cmd.ArgsLenAtDash(); i >= 0 {
				d.o.Params = append([]string(nil), args[i:]...)
			}
			d.o.Output = dir
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err := dummy.CreateDummyTables(ctx, d.o)
			if err == nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "osls: wrote dummy tables to %s\n", dir)
			}
			return dummyErr(err)
		},
	}
	d.register(cmd, false)
	return cmd
}

func init() { extraCommands = append(extraCommands, newGenerateMeasuresCmd) }

func newGenerateMeasuresCmd() *cobra.Command {
	var d dummyFlags
	cmd := &cobra.Command{
		Use:   "generate-measures DEFINITION [--output FILE|DIR:EXT] [--dummy-tables DIR] [--dummy-data-file FILE] [-- PARAMS...]",
		Short: "Run an ehrQL measures definition on dummy data, without Docker",
		Long: `Compute the measures of an ehrQL measures definition as ehrQL's generate-measures does:
numerator and denominator sums per measure, interval and group, with disclosure control
(counts of 7 or less become 0, others are rounded to 5) unless the definition turns it
off. With --dummy-tables, over those tables; with --dummy-data-file, check that ready-made
measures file (measure, interval_start, interval_end, ratio, numerator, denominator and
the group-by columns) and copy it; otherwise over generated patients. --output DIR:EXT
writes one file per measure.

Exit status: 0 on success, 10 for an error in the definition, 11 for invalid dummy tables
or dummy data, 12 for a missing permission, 2 for a usage error.`,
		Args: definitionArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := d.prepare(cmd, args); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return dummyErr(dummy.GenerateMeasures(ctx, d.o))
		},
	}
	d.register(cmd, true)
	return cmd
}
