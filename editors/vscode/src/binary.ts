// Finding the osls binary: the osls.path setting, then the binary bundled in the .vsix for
// this platform, then PATH (and Go's install folder, where `go install` puts it). Pure apart
// from the injected file checks, so every branch is unit-tested.

import * as os from 'os';
import * as path from 'path';

/** Where a binary was found, for the status bar and the log. */
export type BinarySource = 'setting' | 'bundled' | 'path' | 'go';

export interface FoundBinary {
  path: string;
  source: BinarySource;
}

/** The outcome of a search: a binary, or why none was found and how to fix it. */
export type BinaryLookup = FoundBinary | { error: string; fix: string; tried: string[] };

export interface LookupEnv {
  /** process.platform */
  platform: string;
  /** process.arch */
  arch: string;
  /** The extension's install folder (context.extensionPath). */
  extensionPath: string;
  /** The osls.path setting, as written ("" when unset). */
  setting: string;
  /** The first workspace folder, for ${workspaceFolder} in the setting. */
  workspaceFolder?: string;
  /** Environment variables (PATH, PATHEXT, GOBIN, GOPATH, HOME). */
  env: Record<string, string | undefined>;
  /** Reports whether p is an executable file. */
  isExecutable: (p: string) => boolean;
}

/** The name of the bundled folder for a platform: VS Code's target names (linux-x64, …). */
export function platformDir(platform: string, arch: string): string {
  return `${platform}-${arch}`;
}

export function exeName(platform: string): string {
  return platform === 'win32' ? 'osls.exe' : 'osls';
}

/** bundledPath is where `npm run package` puts the binary inside the extension. */
export function bundledPath(extensionPath: string, platform: string, arch: string): string {
  return path.join(extensionPath, 'bin', platformDir(platform, arch), exeName(platform));
}

/** expandSetting resolves ~ and ${workspaceFolder} in the osls.path setting. */
export function expandSetting(value: string, env: LookupEnv): string {
  let v = value.trim();
  const home = env.env.HOME ?? env.env.USERPROFILE ?? os.homedir();
  if (v === '~' || v.startsWith('~/') || v.startsWith('~\\')) v = path.join(home, v.slice(1));
  if (env.workspaceFolder !== undefined) v = v.split('${workspaceFolder}').join(env.workspaceFolder);
  v = v.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env.env[name] ?? '');
  if (!path.isAbsolute(v) && env.workspaceFolder !== undefined && /[\\/]/.test(v)) {
    v = path.join(env.workspaceFolder, v);
  }
  return v;
}

function searchPath(env: LookupEnv): string | undefined {
  const sep = env.platform === 'win32' ? ';' : ':';
  const dirs = (env.env.PATH ?? env.env.Path ?? '').split(sep).filter((d) => d !== '');
  const names = env.platform === 'win32'
    ? (env.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').filter((e) => e !== '').map((e) => 'osls' + e.toLowerCase())
    : ['osls'];
  for (const d of dirs) {
    for (const n of names) {
      const p = path.join(d, n);
      if (env.isExecutable(p)) return p;
    }
  }
  return undefined;
}

function goBinDirs(env: LookupEnv): string[] {
  const dirs: string[] = [];
  if (env.env.GOBIN) dirs.push(env.env.GOBIN);
  const sep = env.platform === 'win32' ? ';' : ':';
  for (const gp of (env.env.GOPATH ?? '').split(sep)) if (gp) dirs.push(path.join(gp, 'bin'));
  const home = env.env.HOME ?? env.env.USERPROFILE;
  if (home) dirs.push(path.join(home, 'go', 'bin'));
  return dirs;
}

/** The install command shown when osls cannot be found. */
export const INSTALL_COMMAND = 'go install github.com/opensafely-core/osls/cmd/osls@latest';

/** findOsls looks for the binary in the documented order. */
export function findOsls(env: LookupEnv): BinaryLookup {
  const tried: string[] = [];
  if (env.setting.trim() !== '') {
    const p = expandSetting(env.setting, env);
    if (env.isExecutable(p)) return { path: p, source: 'setting' };
    // A bare command name ("osls") in the setting is looked up on PATH.
    if (!/[\\/]/.test(p)) {
      const onPath = searchPath({ ...env, env: env.env });
      if (onPath && path.basename(onPath).replace(/\.exe$/i, '') === p.replace(/\.exe$/i, '')) {
        return { path: onPath, source: 'setting' };
      }
    }
    return {
      error: `The osls.path setting points to ${p}, which is not an executable file.`,
      fix: 'Correct the osls.path setting, or clear it to use the bundled osls or the one on PATH.',
      tried: [p],
    };
  }
  const bundled = bundledPath(env.extensionPath, env.platform, env.arch);
  tried.push(bundled);
  if (env.isExecutable(bundled)) return { path: bundled, source: 'bundled' };
  const onPath = searchPath(env);
  tried.push('PATH');
  if (onPath) return { path: onPath, source: 'path' };
  for (const d of goBinDirs(env)) {
    const p = path.join(d, exeName(env.platform));
    tried.push(p);
    if (env.isExecutable(p)) return { path: p, source: 'go' };
  }
  return {
    error: `osls was not found: this extension has no osls binary for ${platformDir(env.platform, env.arch)}, and there is none on PATH.`,
    fix: `Install it with \`${INSTALL_COMMAND}\` (Go 1.26 or later), or set osls.path to the binary.`,
    tried,
  };
}

/** isFound narrows a lookup result. */
export function isFound(r: BinaryLookup): r is FoundBinary {
  return (r as FoundBinary).path !== undefined;
}
