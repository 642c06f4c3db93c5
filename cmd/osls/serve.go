package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/opensafely-core/osls/lsp"
)

func init() {
	extraCommands = append(extraCommands, newServeCmd)
}

func newServeCmd() *cobra.Command {
	var logFile string
	var stdio bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the language server (LSP over stdin and stdout)",
		Long: `Run osls as a language server for your editor. It speaks the Language Server Protocol
over stdin and stdout and checks project.yaml as you type, with completion, hover, go to
definition, references, an outline, quick fixes and "Run" code lenses.

Editors start it themselves: see editors/nvim for Neovim; Emacs Eglot and other clients
need the command "osls serve". The log goes to stderr, or to --log.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var logOut io.Writer = os.Stderr
			if logFile != "" {
				f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
				if err != nil {
					return usageErr("cannot open the log file: %v", err)
				}
				defer f.Close()
				logOut = f
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts := lsp.Options{
				Logger:  log.New(logOut, "osls: ", log.LstdFlags|log.Lmicroseconds),
				Version: osslsVersion(),
			}
			if err := lsp.Serve(ctx, os.Stdin, os.Stdout, opts); err != nil {
				return &exitError{code: exitFindings, err: fmt.Errorf("language server: %w", err)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&logFile, "log", "", "append the server log to this file instead of stderr")
	cmd.Flags().BoolVar(&stdio, "stdio", true, "talk LSP over stdin and stdout (the only transport; accepted for editors that pass it)")
	return cmd
}
