// Package runner runs the actions of an OpenSAFELY study on the researcher's machine, as
// `opensafely run` does but without requiring Docker: it plans which actions to run (the
// requested ones and their needs, skipping those whose last run is still good and saying why),
// gives each job a fresh copy of the study holding only the outputs it is entitled to, starts
// the action's interpreter in its own process group, checks what the job wrote against the
// declared outputs (and the level 4 rules for moderately_sensitive files), and moves the
// matched files back into the study. Every run leaves a log (metadata/<action>.log) and a
// record (metadata/<action>.run.json) that the next plan reads.
//
// How each image runs:
//
//   - python:* — the local python3 (the `python` word of the run line maps to it);
//   - r:* — Rscript; jupyter:* — jupyter; each only where installed;
//   - ehrql:* — the registered [EhrQLEngine]; until there is one, an action whose run line
//     names `--dummy-data-file` gets that file copied to its `--output`;
//   - stata-mp, sqlrunner, cohortextractor, databuilder and reusable actions cannot run
//     locally and fail with an explanation; with Options.Docker every image runs in its
//     OpenSAFELY container through the docker command line, as opensafely-cli does.
//
// Arguments always reach the child as an argv list; no shell is involved.
//
// The command line (`osls run`) and the language server's "Run action" both call [Run].
package runner
