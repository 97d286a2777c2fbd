/**
 * A real VS Code (code-server 4.100.3 = Code 1.100.3, installed under test/e2e by
 * scripts/setup.sh) with the packaged extension installed into private dirs.
 *
 * code-server runs in its own process group: its extension host and other `bootstrap-fork`
 * children can outlive it (re-parented to init), so `stop()` kills the whole group and checks
 * that nothing of it is left.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../src/core/common/exec';
import { register, registerProcess } from './cleanup';
import { onFreshPort, PortInUseError, type FreshPortOptions } from './ports';
import { familyOf, procInfo, removeTreeSync, sleep } from './processes';

/** The repository root (this file is compiled to `<outDir>/test/support/`). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const CODE_SERVER_ENTRY = path.join(
  REPO_ROOT,
  'test',
  'e2e',
  'node_modules',
  'code-server',
  'out',
  'node',
  'entry.js',
);
export const VSIX_PATH = path.join(REPO_ROOT, 'build', 'remote-docker-contexts.vsix');

/** `publisher.name@version` as code-server lists the installed extension. */
export function extensionId(withVersion = false): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    publisher: string;
    name: string;
    version: string;
  };
  return `${pkg.publisher}.${pkg.name}${withVersion ? `@${pkg.version}` : ''}`;
}

/**
 * package.json with `%key%` placeholders replaced from package.nls.json, i.e. the strings the
 * English UI shows (view container titles, command titles ...).
 */
export function readManifest(): Record<string, unknown> {
  const raw = fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8');
  const nlsFile = path.join(REPO_ROOT, 'package.nls.json');
  const nls = fs.existsSync(nlsFile)
    ? (JSON.parse(fs.readFileSync(nlsFile, 'utf8')) as Record<string, string | { message: string }>)
    : {};
  const resolve = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = /^%(.+)%$/.exec(v);
      const entry = m?.[1] !== undefined ? nls[m[1]] : undefined;
      return entry === undefined ? v : typeof entry === 'string' ? entry : entry.message;
    }
    if (Array.isArray(v)) {
      return v.map(resolve);
    }
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  return resolve(JSON.parse(raw)) as Record<string, unknown>;
}

/**
 * The `.vsix` built by `npm run package` (which `npm run test:e2e` runs first). Fails clearly
 * when it is missing or older than the bundle it should contain.
 */
export function packageExtension(): string {
  const bundle = path.join(REPO_ROOT, 'dist', 'extension.js');
  if (!fs.existsSync(VSIX_PATH)) {
    throw new Error(
      `${path.relative(REPO_ROOT, VSIX_PATH)} is missing: run \`npm run package\` first (\`npm run test:e2e\` does).`,
    );
  }
  if (fs.existsSync(bundle) && fs.statSync(bundle).mtimeMs > fs.statSync(VSIX_PATH).mtimeMs) {
    throw new Error(
      `${path.relative(REPO_ROOT, VSIX_PATH)} is older than dist/extension.js: run \`npm run package\` again.`,
    );
  }
  return VSIX_PATH;
}

export interface CodeServer {
  /** `http://127.0.0.1:PORT/?folder=<workspace>` */
  url: string;
  port: number;
  dir: string;
  userDataDir: string;
  extensionsDir: string;
  /** code-server's own output so far. */
  logs(): string;
  /**
   * The log files of the extension's output channels under the user data dir's logs: its own
   * LogOutputChannel (`exthost/<extension id>/<name>.log`) and the plain channels
   * (`output_logging_<time>/`), each after a `== <file>` line.
   */
  outputChannelLogs(): string;
  /** The extension's own LogOutputChannel files (`exthost/<extension id>/<name>.log`), as written so far. */
  extensionLog(): string;
  /** `publisher.name@version` lines of `--list-extensions --show-versions` for these dirs. */
  listExtensions(): Promise<string[]>;
  /** Kills the whole process group, checks it is gone, removes the dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  vsix: string;
  /** Environment for code-server and so for the extension host and terminals (temp HOME, DOCKER_CONFIG, PATH with the ssh shims). */
  env: NodeJS.ProcessEnv;
  /** Folder to open. */
  workspace: string;
  /** Extra `User/settings.json` entries. */
  settings?: Record<string, unknown>;
  /**
   * Fixed port on 127.0.0.1 (the demo's --port). By default a free one, picked again when another
   * process took it before code-server bound it; `pickPort` replaces the picker (for the test of that).
   */
  port?: number;
  pickPort?: FreshPortOptions['pick'];
  startTimeoutMs?: number;
  /** More `.vsix` files installed beside the extension (e.g. a stand-in for an extension of the marketplace). */
  extraVsix?: string[];
}

export async function startCodeServer(o: CodeServerOptions): Promise<CodeServer> {
  if (!fs.existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(
      `code-server is not installed at ${path.relative(REPO_ROOT, CODE_SERVER_ENTRY)}: run scripts/setup.sh (as root).`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-code-'));
  const releaseDir = register({ kind: 'dir', path: dir });
  const userDataDir = path.join(dir, 'user-data');
  const extensionsDir = path.join(dir, 'extensions');
  const configFile = path.join(dir, 'config.yaml');
  const logFile = path.join(dir, 'code-server.log');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir);
  // Without --config code-server writes ~/.config/code-server/config.yaml on first run.
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  const env: NodeJS.ProcessEnv = { ...o.env, EXTENSIONS_GALLERY: '{}' };
  const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  let pid = 0;
  let release: (() => void) | undefined;
  let stopped = false;
  /** Kills the process group of the running code-server, if any, and checks that it is gone. */
  const killServer = async (): Promise<void> => {
    if (pid) {
      // The group signal also reaches children spawned while shutting down; the family sweep
      // catches any that left the group (setsid) but are still descendants.
      const sweep = async (sig: NodeJS.Signals, ms: number): Promise<number[]> => {
        const deadline = Date.now() + ms;
        for (;;) {
          const family = familyOf(pid, true);
          if (family.length === 0) {
            return [];
          }
          if (Date.now() > deadline) {
            return family;
          }
          try {
            process.kill(-pid, sig);
          } catch {
            // group empty
          }
          for (const p of family) {
            try {
              process.kill(p, sig);
            } catch {
              // gone
            }
          }
          await sleep(200);
        }
      };
      if ((await sweep('SIGTERM', 10_000)).length > 0) {
        const left = await sweep('SIGKILL', 10_000);
        if (left.length > 0) {
          throw new Error(`code-server processes survived SIGKILL: ${left.map(describeProcess).join('; ')}`);
        }
      }
      release?.();
      release = undefined;
      pid = 0;
    }
  };
  const stop = async (): Promise<void> => {
    if (stopped) {
      return;
    }
    stopped = true;
    await killServer();
    removeTreeSync(dir);
    releaseDir();
  };

  /** Starts code-server on `port` and waits for /healthz; a bind that fails throws PortInUseError. */
  const launch = async (port: number): Promise<void> => {
    const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
    const log = fs.openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      [
        CODE_SERVER_ENTRY,
        '--auth',
        'none',
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        ...common,
        o.workspace,
      ],
      { env, cwd: o.workspace, stdio: ['ignore', log, log], detached: true },
    );
    fs.closeSync(log);
    if (!child.pid) {
      throw new Error('code-server could not be started');
    }
    pid = child.pid;
    release = registerProcess(pid, 'code-server', true);
    let exited: string | undefined;
    child.on('exit', (code, sig) => (exited = `exited with ${code ?? sig}`));
    child.unref();
    const deadline = Date.now() + (o.startTimeoutMs ?? 120_000);
    while (!(await httpOk(`http://127.0.0.1:${port}/healthz`))) {
      if (exited || Date.now() > deadline) {
        await killServer();
        const own = readText(logFile).slice(logStart);
        if (exited && /EADDRINUSE/.test(own)) {
          throw new PortInUseError(port, `code-server ${exited}`);
        }
        throw new Error(`code-server ${exited ?? 'did not answer HTTP in time'}; log:\n${readText(logFile)}`);
      }
      await sleep(200);
    }
  };

  try {
    for (const vsix of [o.vsix, ...(o.extraVsix ?? [])]) {
      const install = await runProcess(
        process.execPath,
        [CODE_SERVER_ENTRY, ...common, '--install-extension', vsix, '--force'],
        { env, timeoutMs: 180_000 },
      );
      if (install.code !== 0 || !/successfully installed/i.test(install.stdout + install.stderr)) {
        throw new Error(
          `code-server --install-extension failed (${install.code}):\n${install.stdout}\n${install.stderr}`,
        );
      }
    }
    const settings = {
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'security.workspace.trust.enabled': false,
      'chat.disableAIFeatures': true,
      ...o.settings,
    };
    fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));

    let port = o.port ?? 0;
    if (o.port !== undefined) {
      await launch(o.port);
    } else {
      await onFreshPort(
        'code-server',
        async (p) => {
          port = p;
          await launch(p);
        },
        { pick: o.pickPort },
      );
    }
    return {
      url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(o.workspace)}`,
      port,
      dir,
      userDataDir,
      extensionsDir,
      logs: () => readText(logFile),
      outputChannelLogs: () =>
        collectLogs(path.join(userDataDir, 'logs'), (p) => isExtensionLog(p) || p.includes('output_logging'))
          .map((f) => `== ${path.basename(f.path)}\n${f.text}`)
          .join('\n'),
      extensionLog: () =>
        collectLogs(path.join(userDataDir, 'logs'), isExtensionLog)
          .map((f) => f.text)
          .join('\n'),
      listExtensions: async () => {
        const r = await runProcess(
          process.execPath,
          [CODE_SERVER_ENTRY, ...common, '--list-extensions', '--show-versions'],
          { env, timeoutMs: 120_000 },
        );
        if (r.code !== 0) {
          throw new Error(`--list-extensions failed: ${r.stderr}`);
        }
        return r.stdout
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => /^[\w-]+\.[\w-]+@/.test(l));
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2_000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** A log file the extension host keeps for this extension's LogOutputChannels: `…/exthost/<extension id>/<name>.log`. */
function isExtensionLog(file: string): boolean {
  return path.basename(path.dirname(file)).toLowerCase() === extensionId().toLowerCase();
}

/** The `.log` files below `root` that `pick` accepts, with their text. */
function collectLogs(root: string, pick: (file: string) => boolean): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name.endsWith('.log') && pick(p)) {
        out.push({ path: p, text: readText(p) });
      }
    }
  };
  walk(root);
  return out;
}

function describeProcess(pid: number): string {
  const info = procInfo(pid);
  let cmd = '';
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    // gone
  }
  return `${pid} (state ${info?.state ?? '?'}, ppid ${info?.ppid ?? '?'}, pgrp ${info?.pgrp ?? '?'}): ${cmd}`;
}
