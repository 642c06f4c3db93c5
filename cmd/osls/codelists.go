package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/opencodelists"
)

func init() { extraCommands = append(extraCommands, newCodelistsCmd) }

// codelistsFlags are the flags shared by the codelists subcommands.
type codelistsFlags struct {
	server string
	dir    string
}

func newCodelistsCmd() *cobra.Command {
	f := &codelistsFlags{}
	cmd := &cobra.Command{
		Use:   "codelists",
		Short: "Add, update and check the study's codelists from OpenCodelists",
		Long: `Manage codelists/codelists.txt, the CSVs downloaded from OpenCodelists and the manifest
codelists/codelists.json, compatibly with "opensafely codelists".

add and update are all-or-nothing: everything is downloaded and verified (content type, CSV,
SHA) before any file changes, so a failed download leaves codelists.txt, the CSVs and the
manifest as they were.

The server is --opencodelists-url, else $OPENCODELISTS_URL, else ` + opencodelists.DefaultBaseURL + `.

Exit status: 0 when all is well, 1 when problems were found (a codelist that cannot be
downloaded, an inconsistent or out-of-date codelists folder), 2 for a usage or I/O error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&f.server, "opencodelists-url", "", "OpenCodelists server (default $OPENCODELISTS_URL or "+opencodelists.DefaultBaseURL+")")
	cmd.PersistentFlags().StringVarP(&f.dir, "dir", "C", ".", "the study folder (the one holding codelists/)")
	cmd.AddCommand(newCodelistsAddCmd(f), newCodelistsUpdateCmd(f), newCodelistsCheckCmd(f))
	return cmd
}

// study builds the Study for the flags, printing "Fetching …" as downloads proceed.
func (f *codelistsFlags) study(out io.Writer) (*opencodelists.Study, error) {
	st, err := os.Stat(f.dir)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("cannot read the study folder: %w", err)}
	}
	if !st.IsDir() {
		return nil, usageErr("%s is not a folder: give the study's folder with --dir", f.dir)
	}
	base := f.server
	if base == "" {
		base = opencodelists.BaseURLFromEnv(os.Getenv)
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, usageErr("--opencodelists-url %q must start with http:// or https://", base)
	}
	return &opencodelists.Study{
		Dir:    f.dir,
		Client: opencodelists.NewClient(base, osslsVersion()),
		Progress: func(p opencodelists.Progress) {
			if p.Message != "" {
				fmt.Fprintln(out, p.Message)
			}
		},
	}, nil
}

// signalContext is cancelled by Ctrl-C, so an interrupted download changes nothing.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// downloadFailed reports a failed add or update and picks the exit status: 1 for a problem
// with the codelists or the server, 2 for a local I/O problem.
func downloadFailed(w io.Writer, err error) error {
	fmt.Fprintf(w, "%v\n\nNothing was changed: codelists.txt, the CSVs and codelists.json are as they were.\n", err)
	var oe *opencodelists.Error
	var pe *opencodelists.ParseError
	if errors.As(err, &oe) || errors.As(err, &pe) || errors.Is(err, context.Canceled) {
		return &exitError{code: exitFindings}
	}
	return &exitError{code: exitUsage}
}

func newCodelistsAddCmd(f *codelistsFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "add URL-or-ID",
		Short: "Add a codelist to codelists.txt and download it",
		Long: `Add a codelist version to codelists/codelists.txt and download its CSV, given its
OpenCodelists address (the version page, or its download.csv) or its id, e.g.
opensafely/asthma-diagnosis/2020-04-15 or user/jdoe/my-list/3f1a9c2e.

codelists.txt, the CSV and codelists.json change only if the download succeeds.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			s, err := f.study(out)
			if err != nil {
				return err
			}
			if _, err := opencodelists.ParseCodelistArg(args[0], s.Client.BaseURL); err != nil {
				return usageErr("%v", err)
			}
			ctx, cancel := signalContext()
			defer cancel()
			res, err := s.Add(ctx, args[0])
			if err != nil {
				return downloadFailed(cmd.ErrOrStderr(), err)
			}
			switch {
			case res.Added != "":
				l, _ := analysis.ParseCodelistLine(res.Added)
				fmt.Fprintf(out, "Added %s to codelists/codelists.txt and downloaded %s\n", res.Added, l.Path())
			case len(res.Fetched) > 0:
				fmt.Fprintf(out, "%s was already listed; downloaded it\n", res.Fetched[0])
			default:
				fmt.Fprintln(out, "Already listed and downloaded; nothing to do")
			}
			return nil
		},
	}
}

func newCodelistsUpdateCmd(f *codelistsFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "update",
		Short: "Download every codelist of codelists.txt and rewrite codelists.json",
		Long: `Download every codelist listed in codelists/codelists.txt, verify each download, then
replace the CSVs, rewrite codelists/codelists.json and delete the CSVs in codelists/ that are
no longer listed (each is named before anything is deleted; keep your own CSVs in
local_codelists/). If any download fails, nothing changes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			s, err := f.study(out)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			res, err := s.Update(ctx, opencodelists.UpdateOptions{
				ConfirmDelete: func(names []string) error {
					for _, n := range names {
						fmt.Fprintf(out, "Deleting codelists/%s (not listed in codelists.txt)\n", n)
					}
					return nil
				},
			})
			if err != nil {
				return downloadFailed(cmd.ErrOrStderr(), err)
			}
			fmt.Fprintf(out, "Updated %d codelists: %d changed, %d unchanged, %d deleted\n",
				len(res.Fetched), len(res.Changed), len(res.Unchanged), len(res.Deleted))
			return nil
		},
	}
}

func newCodelistsCheckCmd(f *codelistsFlags) *cobra.Command {
	var offline bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the codelists folder, and whether OpenCodelists has changed them",
		Long: `Check codelists/ locally — every line of codelists.txt has its CSV, the SHAs in
codelists.json match, no stray CSVs, no duplicate or conflicting lines — and then ask
OpenCodelists (/api/v1/check/) whether the downloaded versions are still current.

When the server cannot be reached this is said plainly, and only the local result counts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			s, err := f.study(io.Discard)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			rep, err := s.Check(ctx, offline)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if rep.NoCodelists {
				fmt.Fprintln(out, "No 'codelists' directory present so nothing to check")
				return nil
			}
			if err := printLocal(out, f.dir, rep.Local); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			problems := rep.LocalErrors() > 0
			if problems {
				fmt.Fprintf(out, "%d local problem(s) in codelists/.\n", rep.LocalErrors())
			} else {
				fmt.Fprintln(out, "Local codelists OK")
			}
			switch {
			case offline:
				fmt.Fprintln(out, "Upstream check skipped (--offline).")
			case rep.UpstreamErr != nil && opencodelists.IsUnreachable(rep.UpstreamErr):
				fmt.Fprintf(out, "Could not contact %s for the upstream check, so it was NOT done: %v\nTry again later.\n", s.Client.BaseURL, errors.Unwrap(rep.UpstreamErr))
			case rep.UpstreamErr != nil:
				fmt.Fprintf(out, "Upstream check failed: %v\n", rep.UpstreamErr)
				problems = true
			default:
				problems = printUpstream(out, rep) || problems
			}
			if problems {
				fmt.Fprintln(out, "\nTo fix these problems run the command below and commit the changes:\n\n  osls codelists update")
				return &exitError{code: exitFindings}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&offline, "offline", false, "check only the local files, without asking OpenCodelists")
	return cmd
}

// printLocal prints diagnostics as "path:line:col: severity code: message".
func printLocal(w io.Writer, dir string, ds []analysis.Diagnostic) error {
	files := map[string]*analysis.Lines{}
	for _, d := range ds {
		if _, ok := files[d.File]; !ok {
			text, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(d.File)))
			if err != nil {
				text = nil
			}
			files[d.File] = analysis.NewLines(text)
		}
	}
	return writeText(w, ds, files)
}

// printUpstream explains the server's verdict and reports whether it found problems.
func printUpstream(w io.Writer, rep *opencodelists.Report) bool {
	u := rep.Upstream
	if u.OK {
		fmt.Fprintln(w, "Codelists OK (up to date with OpenCodelists)")
		return false
	}
	if u.Error != "" {
		fmt.Fprintf(w, "Error checking upstream codelists: %s\n", u.Error)
		return true
	}
	if len(u.Added)+len(u.Removed) > 0 {
		fmt.Fprintln(w, "Codelists have been added or removed without running update:")
		for _, id := range u.Added {
			fmt.Fprintf(w, "    added: %s\n", id)
		}
		for _, id := range u.Removed {
			fmt.Fprintf(w, "  removed: %s\n", id)
		}
	}
	if len(u.Changed) > 0 {
		fmt.Fprintln(w, "Some codelists are out of date\nCodelists affected:")
		for _, id := range u.Changed {
			fmt.Fprintf(w, "  %s\n", id)
			if why := rep.Explanations[id]; why != "" {
				fmt.Fprintf(w, "    (%s)\n", why)
			}
		}
	}
	return true
}
