// Command osls is the OpenSAFELY language server and command-line tool: it checks a study's
// project.yaml (and, as it grows, its dataset definitions and codelists) in the editor and
// headless, and prints the JSON Schema of project.yaml.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise it comes from the
// module's build information.
var version = ""

// exitError carries an exit status out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// Exit statuses shared by the commands.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func osslsVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "osls",
		Short:         "OpenSAFELY language server and study checker",
		Long:          "osls checks OpenSAFELY studies (project.yaml, ehrQL dataset definitions, codelists) as you type in your editor, and headless in CI.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	root.AddCommand(newCheckCmd(), newSchemaCmd(), newVersionCmd())
	for _, f := range extraCommands {
		root.AddCommand(f())
	}
	return root
}

// extraCommands lets other files of this package register commands (serve, run, …).
var extraCommands []func() *cobra.Command

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the osls version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "osls %s\n", osslsVersion())
			return nil
		},
	}
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "osls:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "osls:", err)
	return exitUsage
}
