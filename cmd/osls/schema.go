package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/analysis/outputs"
	"github.com/opensafely-core/osls/schema"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema [project-yaml|outputs-config|dummy-data]",
		Short: "Print the JSON Schema for project.yaml (or osls.yaml)",
		Long: `Print the JSON Schema (draft 2020-12) for project.yaml, for editors that use
yaml-language-server without osls. Save it and point at it with a modeline:
  # yaml-language-server: $schema=project.schema.json

'osls schema outputs-config' prints the schema of osls.yaml, where a study marks the
columns of its output tables for 'osls outputs check'.

'osls schema dummy-data' prints the schema of <definition>.dummy.yaml, where a study states
the expected distributions of its dataset's variables for generated dummy data.`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"project-yaml", "outputs-config", "dummy-data"},
		RunE: func(cmd *cobra.Command, args []string) error {
			gen := schema.ProjectJSONSchema
			if len(args) == 1 {
				switch args[0] {
				case "project-yaml":
				case "outputs-config":
					gen = outputs.ConfigJSONSchema
				case "dummy-data":
					gen = analysis.DummySpecJSONSchema
				default:
					return usageErr("unknown schema %q: the available schemas are project-yaml, outputs-config and dummy-data", args[0])
				}
			}
			b, err := gen()
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return nil
		},
	}
}
