// Reading `osls check --format json`: the whole study's diagnostics, for the "Check project"
// command. Files open in the editor get live diagnostics from the server; this fills the
// Problems panel for the files that are not open.

import * as path from 'path';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** One finding of `osls check`, 0-based positions for VS Code. */
export interface CheckDiagnostic {
  /** Absolute path of the file. */
  file: string;
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
  severity: Severity;
  code: string;
  message: string;
}

interface JsonPosition {
  line: number;
  column: number;
}

interface JsonDiagnostic {
  file: string;
  range: { start: JsonPosition; end: JsonPosition };
  severity: string;
  code: string;
  message: string;
}

const severities: Severity[] = ['error', 'warning', 'information', 'hint'];

/**
 * parseCheckJson turns the JSON output of `osls check DIR --format json` into diagnostics
 * with absolute file paths (the JSON's paths are relative to DIR) and 0-based positions.
 * It throws when the output is not the expected JSON.
 */
export function parseCheckJson(stdout: string, studyDir: string): CheckDiagnostic[] {
  const parsed = JSON.parse(stdout) as { diagnostics?: JsonDiagnostic[] };
  if (!parsed || !Array.isArray(parsed.diagnostics)) {
    throw new Error('osls check printed JSON without a "diagnostics" list');
  }
  return parsed.diagnostics.map((d) => {
    const start = d.range?.start ?? { line: 1, column: 1 };
    const end = d.range?.end ?? start;
    const sev = severities.includes(d.severity as Severity) ? (d.severity as Severity) : 'error';
    return {
      file: path.isAbsolute(d.file) ? d.file : path.join(studyDir, ...d.file.split('/')),
      startLine: Math.max(0, start.line - 1),
      startCharacter: Math.max(0, start.column - 1),
      endLine: Math.max(0, end.line - 1),
      endCharacter: Math.max(0, end.column - 1),
      severity: sev,
      code: d.code,
      message: d.message,
    };
  });
}

/** summarise counts findings by severity: "2 errors, 1 warning" (or "no problems"). */
export function summarise(diags: CheckDiagnostic[]): string {
  const counts = new Map<Severity, number>();
  for (const d of diags) counts.set(d.severity, (counts.get(d.severity) ?? 0) + 1);
  const parts: string[] = [];
  const word: Record<Severity, [string, string]> = {
    error: ['error', 'errors'],
    warning: ['warning', 'warnings'],
    information: ['note', 'notes'],
    hint: ['hint', 'hints'],
  };
  for (const s of severities) {
    const n = counts.get(s) ?? 0;
    if (n > 0) parts.push(`${n} ${word[s][n === 1 ? 0 : 1]}`);
  }
  return parts.length === 0 ? 'no problems' : parts.join(', ');
}

/** groupByFile groups diagnostics by their absolute file path, in first-seen order. */
export function groupByFile(diags: CheckDiagnostic[]): Map<string, CheckDiagnostic[]> {
  const out = new Map<string, CheckDiagnostic[]>();
  for (const d of diags) {
    const list = out.get(d.file) ?? [];
    list.push(d);
    out.set(d.file, list);
  }
  return out;
}
