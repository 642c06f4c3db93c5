// Package schema is the declarative knowledge osls has about OpenSAFELY
// study repositories: what may be written in project.yaml, which images a
// `run:` line can start, and which reusable actions exist.
//
// Nothing here reads files or reports diagnostics. The package answers
// questions ("which keys may go in an action?", "which tags does python
// have?", "what does cox-ipw take?") and the analysis, completion and hover
// code asks them. Keeping the facts in one place means the three features
// cannot disagree with each other.
//
// The package has four parts:
//
//   - The key table (keys.go). Every key of project.yaml has one [KeyDoc]:
//     its markdown documentation, a completion snippet and whether it is
//     required. [Keys] and [Doc] read this table, and so does the JSON
//     Schema generator, which copies the same text into each property's
//     description. Hover text and schema descriptions therefore never drift.
//   - The project model (project.go, jsonschema.go). Go types ([Project], [Action],
//     [Outputs], [Expectations], ...) mirror the file. [ProjectJSONSchema]
//     reflects them with github.com/invopop/jsonschema and then layers on
//     the rules a struct cannot express: the `image:tag` pattern of `run`,
//     output path patterns, the level-4 file types, and the rules that
//     depend on `version` (if/then blocks). The schema is for editors that
//     do not run osls (any yaml-language-server client); osls itself checks
//     the same rules natively, with better messages and positions, plus the
//     cross-references a schema cannot express (needs targets, cycles,
//     duplicate outputs, --output matching).
//   - The image catalogue (images.go): the built-in images, their tags and
//     the subcommands worth completing.
//   - The reusable-action catalogue (reusable.go): registered
//     opensafely-actions repositories, their release tags, runtimes,
//     arguments and, where the action validates it, its config.
//
// The rules follow the pipeline library's behaviour as described in the
// project's spec (spec/project-yaml.md); where osls is stricter than
// pipeline (for example a leading ".." in an output path) the doc comment
// says so.
package schema
