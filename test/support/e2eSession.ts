/**
 * The one lifecycle of an end-to-end test file (or of one `describe` in it): what it needs
 * started in a `before` hook, in order (dockerd, sshd, test users, a temp home, the files a test
 * seeds, code-server with the packaged extension, Chromium on the workbench, the first view), a
 * FAILED screenshot plus the logs after any test that failed, and everything stopped by pid in
 * `after`, in reverse order, even when `before` failed half-way.
 *
 * ```ts
 * describe('…', () => {
 *   const s = e2eSession({ name: 'ssh hosts', dockerd: true, sshd: { passwordAuth: true }, users: { main: { docker: true } } });
 *   it('…', async () => { await s.wb.runCommand('…'); … s.users.main.name … });
 * });
 * ```
 *
 * Call it at the top of a `describe` body: it registers the hooks there. The parts are read
 * through getters that fail clearly when `before` has not made them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';
import { packageExtension, startCodeServer, type CodeServer, type CodeServerOptions } from './codeServer';
import { DockerCli } from './dockerCli';
import { startDockerd, type Dockerd, type DockerdOptions } from './dockerd';
import { requireRoot } from './requireRoot';
import { startSshd, type Sshd, type SshdOptions } from './sshd';
import { tempHome, type TempHome } from './tempHome';
import { createUser, type CreateUserOptions, type TestUser } from './users';
import { openWorkbench, screenshotsDirFor, type Workbench } from './workbench';

export interface E2eSessionOptions<U extends string> {
  /** Names the screenshots folder: `test-results/screenshots/<name>`. */
  name: string;
  /** A private dockerd (`true`, or its options). */
  dockerd?: boolean | DockerdOptions;
  /** An OpenSSH sshd on 127.0.0.1 (`true`, or its options). */
  sshd?: boolean | SshdOptions;
  /** Test accounts by a name of the test's choosing; `dockerHost` defaults to the session's dockerd. */
  users?: Record<U, CreateUserOptions>;
  /** Variables added to code-server's environment (so to the extension host and the CLI oracle). */
  env?: (s: E2eSession<U>) => NodeJS.ProcessEnv;
  /** Files of the workspace folder (`<home>/project`), by relative path. */
  workspaceFiles?: Record<string, string>;
  /** Runs once servers, users and the temp home exist, before code-server starts: seed keys, config, contexts. */
  prepare?: (s: E2eSession<U>) => Promise<void> | void;
  /** Extra `User/settings.json` entries. */
  settings?: CodeServerOptions['settings'];
  /** More `.vsix` files to install (made after `prepare`, e.g. built by it). */
  extraVsix?: (s: E2eSession<U>) => string[];
  /** Runs once code-server answers, before the browser opens (e.g. write `User/keybindings.json`). */
  serverStarted?: (s: E2eSession<U>) => Promise<void> | void;
  viewport?: { width: number; height: number };
  /** Wait for the workbench in `before` (a step with a screenshot). Default true; the smoke test does it as a test. */
  waitReady?: boolean;
  /** Then show this view container and wait for a row of a view (60 s: the first activation is slow). */
  open?: { container: string; view: string; row: string; sidebarWidth?: number; file?: string };
  /** Escape what a failed test left open before each test, and fail a test after which an error toast shows. */
  strictUi?: boolean;
}

/** What `e2eSession` made; each getter fails clearly when that part was not asked for or not made. */
export class E2eSession<U extends string = never> {
  /** @internal filled in by the hooks */
  parts: {
    dockerd?: Dockerd;
    sshd?: Sshd;
    users: Partial<Record<U, TestUser>>;
    home?: TempHome;
    env?: NodeJS.ProcessEnv;
    server?: CodeServer;
    wb?: Workbench;
  } = { users: {} };

  constructor(readonly screenshotsDir: string) {}

  get dockerd(): Dockerd {
    return this.need('dockerd', this.parts.dockerd);
  }
  get sshd(): Sshd {
    return this.need('sshd', this.parts.sshd);
  }
  get users(): Record<U, TestUser> {
    return this.parts.users as Record<U, TestUser>;
  }
  get home(): TempHome {
    return this.need('home', this.parts.home);
  }
  /** code-server's environment: the temp home's plus `options.env`. */
  get env(): NodeJS.ProcessEnv {
    return this.need('env', this.parts.env);
  }
  get workspace(): string {
    return path.join(this.home.home, 'project');
  }
  get server(): CodeServer {
    return this.need('server', this.parts.server);
  }
  get wb(): Workbench {
    return this.need('wb', this.parts.wb);
  }
  /** The docker CLI with code-server's environment: what a VS Code terminal sees. */
  get cli(): DockerCli {
    return new DockerCli(this.env);
  }

  private need<T>(what: string, value: T | undefined): T {
    if (value === undefined) {
      throw new Error(`e2eSession: no ${what} (not asked for, or the before hook failed before making it)`);
    }
    return value;
  }
}

/** Registers the hooks of one e2e lifecycle in the calling `describe` and returns its parts. */
export function e2eSession<U extends string = never>(options: E2eSessionOptions<U>): E2eSession<U> {
  const s = new E2eSession<U>(screenshotsDirFor(options.name));
  let dumpsBefore = 0;

  before(async () => {
    requireRoot('the e2e tests');
    await start(s, options);
  });

  beforeEach(async () => {
    dumpsBefore = s.parts.wb?.failuresDumped ?? 0;
    if (options.strictUi) {
      // A failed test must not leave a menu or picker that blocks the next one.
      await s.parts.wb?.dismissTransient();
    }
  });

  // node:test has set `passed` on the test's context by the time afterEach runs (@types/node 20 lacks it).
  afterEach(async (t: { readonly name: string; readonly passed?: boolean }) => {
    const wb = s.parts.wb;
    if (wb && t.passed === false && wb.failuresDumped === dumpsBefore) {
      await wb.dumpFailure(t.name);
    }
    if (options.strictUi && wb) {
      // An error the extension (or VS Code) showed is a failure even when every check passed.
      assert.deepEqual(await wb.errorNotifications(), [], 'no error notification');
    }
  });

  after(async () => {
    await stop(s);
  });

  return s;
}

async function start<U extends string>(s: E2eSession<U>, o: E2eSessionOptions<U>): Promise<void> {
  const p = s.parts;
  // A vsix built elsewhere (e.g. into a private folder while others build the shared one).
  const vsix = process.env.RDC_E2E_VSIX || packageExtension();
  // Both at once; keep whichever started even when the other failed, so `after` stops it.
  const [dockerd, sshd] = await Promise.allSettled([
    o.dockerd ? startDockerd(o.dockerd === true ? {} : o.dockerd) : undefined,
    o.sshd ? startSshd(o.sshd === true ? {} : o.sshd) : undefined,
  ]);
  p.dockerd = dockerd.status === 'fulfilled' ? dockerd.value : undefined;
  p.sshd = sshd.status === 'fulfilled' ? sshd.value : undefined;
  for (const r of [dockerd, sshd]) {
    if (r.status === 'rejected') {
      throw r.reason;
    }
  }
  for (const [key, userOptions] of Object.entries(o.users ?? {}) as [U, CreateUserOptions][]) {
    p.users[key] = await createUser({ dockerHost: p.dockerd?.host, ...userOptions });
  }
  p.home = tempHome();
  p.env = { ...p.home.env, ...o.env?.(s) };
  fs.mkdirSync(s.workspace);
  for (const [file, text] of Object.entries(o.workspaceFiles ?? {})) {
    fs.mkdirSync(path.dirname(path.join(s.workspace, file)), { recursive: true });
    fs.writeFileSync(path.join(s.workspace, file), text);
  }
  await o.prepare?.(s);
  p.server = await startCodeServer({
    vsix,
    env: p.env,
    workspace: s.workspace,
    settings: o.settings,
    ...(o.extraVsix ? { extraVsix: o.extraVsix(s) } : {}),
  });
  await o.serverStarted?.(s);
  const server = p.server;
  p.wb = await openWorkbench(server.url, {
    screenshotsDir: s.screenshotsDir,
    serverLogs: () => `${server.logs()}\n--- extension output channels ---\n${server.outputChannelLogs()}`,
    ...(o.viewport ? { viewport: o.viewport } : {}),
  });
  const wb = p.wb;
  if (o.waitReady !== false) {
    await wb.step('workbench loaded', () => wb.waitReady());
  }
  const open = o.open;
  if (open) {
    await wb.step('view shown', async () => {
      await wb.openViewContainer(open.container);
      await wb.waitForTreeRow(open.row, open.view, 60_000);
      // Room for whole endpoints, and a file open as in real work: the screenshots show what a user sees.
      if (open.sidebarWidth) {
        await wb.setSidebarWidth(open.sidebarWidth);
      }
      if (open.file) {
        await wb.openFile(open.file);
      }
    });
  }
}

/** Stops what `start` made, last made first; every part is tried, the first failure is thrown after. */
async function stop<U extends string>(s: E2eSession<U>): Promise<void> {
  const p = s.parts;
  const steps: Array<() => Promise<void> | void> = [
    () => p.wb?.close(),
    () => p.server?.stop(),
    ...Object.values<TestUser | undefined>(p.users).map((u) => () => u?.remove()),
    () => p.sshd?.dispose(),
    () => p.dockerd?.stop(),
    () => p.home?.remove(),
  ];
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      errors.push(e);
    }
  }
  s.parts = { users: {} };
  if (errors.length > 0) {
    throw new AggregateError(errors, `stopping the e2e session: ${errors.map(String).join('; ')}`);
  }
}
