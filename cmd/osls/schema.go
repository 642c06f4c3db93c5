package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opensafely-core/osls/schema"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema [project-yaml]",
		Short: "Print the JSON Schema for project.yaml",
		Long: `Print the JSON Schema (draft 2020-12) for project.yaml, for editors that use
yaml-language-server without osls. Save it and point at it with a modeline:
  # yaml-language-server: $schema=project.schema.json`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"project-yaml"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] != "project-yaml" {
				return usageErr("unknown schema %q: the available schema is project-yaml", args[0])
			}
			b, err := schema.ProjectJSONSchema()
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return nil
		},
	}
}
