/**
 * Which daemon am I on, in a real VS Code (code-server + Chromium) against a real sshd and a
 * real dockerd, with the docker CLI and OpenSSH as the oracles:
 *
 * - the Docker Contexts view probes each context lazily and shows its OS and architecture;
 * - switching from `default` to the SSH context makes the status bar show the remote
 *   `OperatingSystem` and `Architecture` exactly as `docker --context X info` reports them,
 *   with the details in the tooltip;
 * - stopping the remote daemon turns the status into the warning state with "daemon not
 *   running" (found by the periodic check, then again by Refresh with the check turned off),
 *   and restarting it recovers without a reload;
 * - a host whose key is not trusted yet is never asked about in the background (the row says
 *   so); its "Trust Host…" asks, with the fingerprint, and the row then shows the daemon;
 * - "Show Remote Engine Info" opens a read-only JSON document with the daemon's `/info`;
 * - after a reload the status shows the last known facts at once, marked as not checked again,
 *   before any answer; a failure replaces them, and the status recovers within the short
 *   retries after sshd comes back.
 *
 * Every step leaves a screenshot under test-results/screenshots/engine-status/; the README's
 * media/screenshot-status.png is a copy of the tooltip step's.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  generateKey,
  knownHostsLine,
  requireRoot,
  sshHostBlock,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type KeyPair,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { packageExtension, REPO_ROOT, startCodeServer, type CodeServer } from '../support/codeServer';
import {
  CONTAINER_TITLE as CONTAINER,
  CONTEXTS_VIEW_TITLE as VIEW,
  STATUS_ITEM_ID as STATUS_ID,
  showsName,
} from '../support/contextsUi';
import { DockerCli } from '../support/dockerCli';
import { openWorkbench, screenshotsDirFor, waitFor, type Workbench } from '../support/workbench';

const T = { timeout: 600_000 };
const ALIAS = 'e2e-engine';
const CONTEXT = 'remote-e2e';
/** An alias of the same server whose host key is recorded under another name: not trusted yet. */
const STRANGER_ALIAS = 'e2e-stranger';
const STRANGER = 'stranger-e2e';
/** Seconds between status checks while the window is focused (short, so the test sees the interval work). */
const INTERVAL_SECONDS = 2;

describe('e2e: the remote daemon in the status bar and the Docker Contexts view', () => {
  let dockerd: Dockerd;
  let sshd: Sshd;
  let user: TestUser;
  let home: TempHome;
  let key: KeyPair;
  let cli: DockerCli;
  let server: CodeServer;
  let wb: Workbench;
  /** What the real docker CLI reports for the SSH context. */
  let expected: { os: string; arch: string; serverVersion: string; ncpu: number; kernel: string; platform: string };
  let workspace: string;

  const status = () => wb.statusBarItem(STATUS_ID);
  const statusText = () => status().text();
  const statusClass = async (): Promise<string> => (await status().locator.getAttribute('class')) ?? '';
  const row = async (name: string) => (await wb.treeRows(VIEW)).find((r) => r.label === name);
  const facts = (): string => `${expected.os} · ${expected.arch}`;

  /** The status checks a stretch of the extension's log records, as "why" words ("interval", "command"…). */
  const statusChecks = (log: string): string[] =>
    [...log.matchAll(/Status refresh #\d+ \(([^)]*)\)/g)].map((m) => m[1]);

  /** Sets workspace settings (.vscode/settings.json of the open folder), which VS Code follows as the file changes. */
  function setWorkspaceSettings(values: Record<string, unknown>): void {
    const dir = path.join(workspace, '.vscode');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'settings.json');
    const current = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    fs.writeFileSync(file, JSON.stringify({ ...current, ...values }, null, 2));
  }

  before(async () => {
    requireRoot('the e2e tests');
    // A vsix built elsewhere (e.g. into a private folder while others build the shared one).
    const vsix = process.env.RDC_E2E_VSIX || packageExtension();
    [dockerd, sshd] = await Promise.all([startDockerd(), startSshd()]);
    user = await createUser({ docker: true, dockerHost: dockerd.host });
    home = tempHome();
    key = await generateKey(home.home, 'id_ed25519');
    user.authorizeKey(key.publicLine);
    appendSshConfig(
      home.home,
      sshHostBlock({ alias: ALIAS, port: sshd.port, user: user.name, identityFile: key.privateKey }),
    );
    appendSshConfig(
      home.home,
      `${sshHostBlock({ alias: STRANGER_ALIAS, port: sshd.port, user: user.name, identityFile: key.privateKey })}  HostKeyAlias ${STRANGER_ALIAS}.example\n`,
    );
    addKnownHost(home.home, knownHostsLine(sshd));
    cli = new DockerCli(home.env);
    // The socket path in the URL: the extension forwards to it directly (stream-local); the
    // CLI passes it to `docker system dial-stdio` on the remote.
    await cli.run([
      'context',
      'create',
      CONTEXT,
      '--docker',
      `host=ssh://${ALIAS}${dockerd.socket}`,
      '--description',
      'e2e remote daemon',
    ]);
    await cli.run(['context', 'create', STRANGER, '--docker', `host=ssh://${STRANGER_ALIAS}${dockerd.socket}`]);
    const info = JSON.parse((await cli.run(['--context', CONTEXT, 'info', '--format', '{{json .}}'])).stdout) as {
      OperatingSystem: string;
      Architecture: string;
      ServerVersion: string;
      NCPU: number;
      KernelVersion: string;
    };
    // The daemon's own platform, as the CLI reads it from /version.
    const platform = (
      await cli.run(['--context', CONTEXT, 'version', '--format', '{{.Server.Os}}/{{.Server.Arch}}'])
    ).stdout.trim();
    expected = {
      os: info.OperatingSystem,
      arch: info.Architecture,
      serverVersion: info.ServerVersion,
      ncpu: info.NCPU,
      kernel: info.KernelVersion,
      platform,
    };
    assert.ok(expected.os && expected.arch, `docker info reports OS and architecture: ${JSON.stringify(expected)}`);
    assert.equal(await cli.show(), 'default');

    workspace = path.join(home.home, 'project');
    fs.mkdirSync(workspace);
    fs.writeFileSync(
      path.join(workspace, 'Dockerfile'),
      'FROM local/busybox\nCOPY . /app\nCMD ["/bin/httpd", "-f", "-p", "8080"]\n',
    );
    server = await startCodeServer({
      vsix,
      // Debug lines are written: one per status check, which the steps below count.
      env: { ...home.env, LOG_LEVEL: 'debug' },
      workspace,
      settings: {
        'workbench.colorTheme': 'Default Dark Modern',
        'remote.autoForwardPorts': false,
        'remoteDocker.statusBar.refreshInterval': INTERVAL_SECONDS,
      },
    });
    wb = await openWorkbench(server.url, {
      screenshotsDir: screenshotsDirFor('engine status'),
      viewport: { width: 1280, height: 800 },
      serverLogs: () => `${server.logs()}\n--- extension output channels ---\n${server.outputChannelLogs()}`,
    });
    await wb.step('workbench loaded', () => wb.waitReady());
    await wb.step('remote docker sidebar', async () => {
      await wb.openViewContainer(CONTAINER);
      await wb.waitForTreeRow(CONTEXT, VIEW, 60_000);
      await wb.setSidebarWidth(520);
      await wb.openFile('Dockerfile');
    });
  });

  beforeEach(async () => {
    await wb?.dismissTransient();
  });

  afterEach(async () => {
    // Background probes never pop anything up, and a failure is a state, not an error toast.
    const errors = (await wb?.errorNotifications()) ?? [];
    assert.deepEqual(errors, [], 'no error notification');
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    await user?.remove();
    await sshd?.dispose();
    await dockerd?.stop();
    home?.remove();
  });

  it(
    'probes each context lazily: the row shows the OS and architecture docker --context X info reports',
    T,
    async () => {
      await wb.step('tree shows the remote OS and architecture', async () => {
        const r = await waitFor(
          `the ${CONTEXT} row to show ${facts()}`,
          () => row(CONTEXT),
          (x) => !!x?.description.includes(facts()),
          90_000,
        );
        assert.ok(r);
        assert.equal(r.description, `ssh://${ALIAS}${dockerd.socket} · ${facts()}`);
        assert.equal(r.ariaLabel, `${CONTEXT}, ssh://${ALIAS}${dockerd.socket}, ${expected.os}, ${expected.arch}`);
      });
      // default is probed too; whatever this machine has there, it is shown without a pop-up.
      assert.ok(showsName(await statusText(), 'default'));
      assert.equal(await wb.page.locator('.monaco-dialog-box').count(), 0, 'no dialog');
    },
  );

  it(
    'switching from default to the SSH context shows the remote OS and architecture in the status bar, with details in the tooltip',
    T,
    async () => {
      assert.equal(await cli.show(), 'default');
      await wb.step('switch by clicking the row', async () => {
        await wb.clickTreeRow(CONTEXT, VIEW);
        await waitFor(
          'docker context show to print the SSH context',
          () => cli.show(),
          (s) => s === CONTEXT,
        );
        const text = await waitFor(
          'the status bar to show the remote OS and architecture',
          statusText,
          (t) => t.includes(`${CONTEXT} · ${facts()}`),
          60_000,
        );
        assert.ok(showsName(text, CONTEXT));
        assert.doesNotMatch(await statusClass(), /warning-kind/);
        assert.equal(await status().ariaLabel(), `Docker context ${CONTEXT}, ${expected.os}, ${expected.arch}`);
        const r = await row(CONTEXT);
        assert.equal(r?.description, `ssh://${ALIAS}${dockerd.socket} · ${facts()} · current`);
      });
      await wb.step('status tooltip', async () => {
        const tip = (await wb.hoverText(status().locator)).replace(/\s+/g, ' ');
        for (const part of [
          `Docker context: ${CONTEXT}`,
          `Endpoint: ssh://${ALIAS}${dockerd.socket}`,
          `Operating system: ${expected.os}`,
          `Kernel: ${expected.kernel}`,
          `Architecture: ${expected.arch} (${expected.platform})`,
          `Engine version: ${expected.serverVersion}`,
          `CPUs: ${expected.ncpu}`,
          'Connection: SSH, forwarded to the Docker socket',
          'Show Remote Engine Info',
        ]) {
          assert.ok(tip.includes(part), `tooltip has "${part}": ${tip}`);
        }
        assert.match(tip, /Memory: \d+\.\d [KMGT]iB/);
        assert.match(tip, /Round trip: [\d.]+ m?s/);
        assert.match(tip, /Last checked: \S+/);
        // The README screenshot: the status bar and its tooltip as a user sees them.
        const shot = await wb.screenshot('status tooltip for the README');
        fs.copyFileSync(shot, path.join(REPO_ROOT, 'test-results', 'screenshot-status.png'));
      });
    },
  );

  it(
    'stopping the remote daemon turns the status into the warning state with the reason, and a restart recovers without a reload',
    T,
    async () => {
      await waitFor(
        'the status bar to show the remote daemon',
        statusText,
        (t) => t.includes(`${CONTEXT} · ${facts()}`),
        60_000,
      );
      await wb.step('daemon stopped: found by the periodic check', async () => {
        await dockerd.stopDaemonOnly();
        const text = await waitFor(
          'the status bar to say "daemon not running"',
          statusText,
          (t) => t.includes(`${CONTEXT} · daemon not running`),
          60_000,
        );
        assert.ok(showsName(text, CONTEXT));
        assert.match(await statusClass(), /warning-kind/, 'warning background');
        assert.match(
          await status().ariaLabel(),
          new RegExp(`Docker context ${CONTEXT}, The Docker daemon is not running on `),
        );
        const tip = (await wb.hoverText(status().locator)).replace(/\s+/g, ' ');
        assert.match(
          tip,
          /The Docker daemon is not running on .* Start it, for example with "sudo systemctl start docker"\./,
        );
        assert.match(tip, /Diagnose…/);
        await waitFor(
          'the row to say "daemon not running"',
          () => row(CONTEXT),
          (x) => !!x?.description.includes('daemon not running'),
        );
      });
      await wb.step("the row's Diagnose shows the SSH report with the failed step", async () => {
        await wb.waitTreeQuiet(VIEW);
        const r = wb.treeRow(CONTEXT, VIEW);
        await r.hover();
        await r.locator('.actions .action-label[aria-label^="Diagnose Docker Context"]').click();
        await wb.quickPick.waitOpen();
        assert.match(await wb.quickPick.title(), new RegExp(`Diagnose Docker Context: ${CONTEXT}`));
        const rows = await waitFor(
          'the diagnose steps',
          () => wb.quickPick.rows(),
          (x) => x.some((y) => y.label === 'Login works'),
          60_000,
        );
        assert.ok(rows.find((y) => y.label === 'Login works')?.description.startsWith('ok'), JSON.stringify(rows));
        assert.ok(
          rows.some(
            (y) =>
              /^(Docker socket is reachable|Docker daemon answers)$/.test(y.label) &&
              y.description.startsWith('failed'),
          ),
          `a Docker step failed: ${JSON.stringify(rows)}`,
        );
      });
      await wb.quickPick.cancel();
      await wb.quickPick.waitClosed();
      await wb.step('daemon restarted: recovered by the periodic check', async () => {
        await dockerd.restart();
        await waitFor(
          'the status bar to show the daemon again',
          statusText,
          (t) => t.includes(`${CONTEXT} · ${facts()}`),
          60_000,
        );
        assert.doesNotMatch(await statusClass(), /warning-kind/);
      });
      await wb.step('periodic check off, daemon stopped: found by Refresh', async () => {
        setWorkspaceSettings({ 'remoteDocker.statusBar.refreshInterval': 0 });
        await waitFor(
          'the extension to turn the periodic check off',
          () => Promise.resolve(server.extensionLog()),
          (l) => l.includes('Periodic status check off'),
          30_000,
        );
        await dockerd.stopDaemonOnly();
        const stoppedAt = server.extensionLog().length;
        // Three intervals: the span in which the periodic check, were it on, would have run three times.
        await wb.settle(INTERVAL_SECONDS * 1000 * 3);
        const checks = statusChecks(server.extensionLog().slice(stoppedAt));
        assert.deepEqual(checks, [], 'no status check ran after the daemon stopped');
        assert.ok(
          (await statusText()).includes(`${CONTEXT} · ${facts()}`),
          `still the last answer: ${await statusText()}`,
        );
        await wb.runCommand('Remote Docker: Refresh');
        await waitFor(
          'the status bar to say "daemon not running"',
          statusText,
          (t) => t.includes(`${CONTEXT} · daemon not running`),
          60_000,
        );
        assert.match(await statusClass(), /warning-kind/);
      });
      await wb.step('daemon restarted: Refresh recovers', async () => {
        await dockerd.restart();
        await wb.runCommand('Remote Docker: Refresh');
        await waitFor(
          'the status bar to show the daemon again',
          statusText,
          (t) => t.includes(`${CONTEXT} · ${facts()}`),
          60_000,
        );
        setWorkspaceSettings({ 'remoteDocker.statusBar.refreshInterval': INTERVAL_SECONDS });
        await waitFor(
          'the periodic check to be on again',
          () => Promise.resolve(server.extensionLog()),
          (l) =>
            l.includes(`Status check every ${INTERVAL_SECONDS} s`) &&
            l.lastIndexOf(`Status check every`) > l.lastIndexOf('Periodic status check off'),
          30_000,
        );
      });
      // One SSH connection carried all of it: the pool reconnects only when a connection died.
      assert.match(server.extensionLog(), new RegExp(`engine ssh://${ALIAS}.*: connected to`));
    },
  );

  it('"Show Remote Engine Info" opens a read-only JSON document with the daemon\'s /info', T, async () => {
    await wb.step('run the command and pick the context', async () => {
      await wb.runCommand('Remote Docker: Show Remote Engine Info');
      await wb.quickPick.waitOpen();
      assert.match(await wb.quickPick.title(), /Show Remote Engine Info/);
      await wb.quickPick.pick(CONTEXT);
      await waitFor(
        'the engine info document',
        () => wb.activeEditorTitle(),
        (t) => t === `${CONTEXT}.engine.json`,
        60_000,
      );
    });
    await wb.step('the document has the OperatingSystem docker info reports', async () => {
      const top = await wb.editorText();
      assert.match(top, new RegExp(`"Context": "${CONTEXT}"`));
      // Find scrolls the editor to the line (Monaco renders only the lines in view).
      await wb.page.keyboard.press('Control+F');
      const find = wb.page.locator('.editor-widget.find-widget textarea, .editor-widget.find-widget input').first();
      await find.fill('"OperatingSystem"');
      await find.press('Enter');
      await wb.page.keyboard.press('Escape');
      const text = await waitFor(
        'the OperatingSystem line',
        () => wb.editorText(),
        (t) => /"OperatingSystem": /.test(t),
      );
      const line = text.split('\n').find((l) => l.includes('"OperatingSystem": '));
      assert.equal(line?.trim(), `"OperatingSystem": ${JSON.stringify(expected.os)},`);
    });
    await wb.step('the document is read-only', async () => {
      const before = await wb.editorText();
      await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await wb.page.keyboard.type('xyz');
      // The editor answers a keystroke in a read-only document with this message.
      await wb.page
        .locator('.monaco-editor-overlaymessage', { hasText: 'Cannot edit in read-only editor' })
        .waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await wb.editorText(), before);
    });
  });

  it(
    'a host key not trusted yet is never asked about in the background; the row\'s "Trust Host…" asks with the fingerprint, then the row shows the daemon',
    T,
    async () => {
      await wb.step('stranger: host key not trusted yet', async () => {
        const r = await waitFor(
          `the ${STRANGER} row to say why`,
          () => row(STRANGER),
          (x) => !!x?.description.includes('host key not trusted yet'),
          90_000,
        );
        assert.equal(r?.description, `ssh://${STRANGER_ALIAS}${dockerd.socket} · host key not trusted yet`);
        assert.equal(await wb.page.locator('.monaco-dialog-box').count(), 0, 'the background probe asked nothing');
        assert.equal(
          fs.readFileSync(path.join(home.sshDir, 'known_hosts'), 'utf8').includes(`${STRANGER_ALIAS}.example`),
          false,
        );
        const tip = await wb.hoverText(wb.treeRow(STRANGER, VIEW).locator('.label-name'));
        assert.match(tip, /The host key of .* is not known yet/);
        assert.match(tip, /Trust Host…/);
      });
      await wb.step('stranger: "Trust Host…" in the tooltip asks with the fingerprint', async () => {
        await wb.page.locator('.workbench-hover:not(.hidden) a', { hasText: 'Trust Host…' }).first().click();
        const dialog = await wb.modalDialog(60_000);
        assert.match(
          dialog.text,
          new RegExp(`The authenticity of host '${STRANGER_ALIAS}\\.example' can't be established`),
        );
        assert.ok(dialog.detail.includes(`ED25519 key fingerprint is ${sshd.hostKeyFingerprint}.`), dialog.detail);
        await dialog.clickButton('Trust Host');
        await dialog.waitClosed();
      });
      await wb.step('stranger: trusted, the row shows the daemon', async () => {
        await waitFor(
          `the ${STRANGER} row to show ${facts()}`,
          () => row(STRANGER),
          (x) => !!x?.description.endsWith(` · ${facts()}`),
          60_000,
        );
        // OpenSSH agrees: the key was recorded under the HostKeyAlias.
        const ssh = await runProcess(
          'ssh',
          ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', STRANGER_ALIAS, 'true'],
          { env: home.env, timeoutMs: 30_000 },
        );
        assert.equal(ssh.code, 0, ssh.stderr);
      });
    },
  );

  it(
    'after a reload the status shows the last known facts at once, not checked again yet; a failure replaces them, and sshd coming back recovers within the short retries',
    T,
    async () => {
      await wb.dismissTransient();
      await wb.step('current: the SSH context, periodic check every 10 min', async () => {
        if ((await cli.show()) !== CONTEXT) {
          await cli.run(['context', 'use', CONTEXT]);
        }
        await waitFor(
          'the status bar to show the remote daemon',
          statusText,
          (t) => t.includes(`${CONTEXT} · ${facts()}`),
          60_000,
        );
        // Only the short retries, not the periodic check, can then bring the status back in time.
        setWorkspaceSettings({ 'remoteDocker.statusBar.refreshInterval': 600 });
        await waitFor(
          'the extension to check every 600 s',
          () => Promise.resolve(server.extensionLog()),
          (l) => l.lastIndexOf('Status check every 600 s') > l.lastIndexOf(`Status check every ${INTERVAL_SECONDS} s`),
          30_000,
        );
      });
      // A frozen sshd: the kernel accepts the new connection and nobody answers, so the first
      // check after the reload waits, and what the status shows meanwhile comes from memory.
      process.kill(sshd.pid, 'SIGSTOP');
      let frozen = true;
      try {
        await wb.step('reload: the remembered facts at once, marked as not checked again', async () => {
          const before = server.extensionLog().length;
          await wb.runCommand('Developer: Reload Window');
          await wb.waitReady();
          const label = await waitFor(
            'the status bar to show the remembered facts',
            () => status().ariaLabel(),
            (l) => / last checked /.test(l),
            120_000,
          );
          assert.ok(
            label.startsWith(`Docker context ${CONTEXT}, ${expected.os}, ${expected.arch}, last checked `),
            label,
          );
          assert.ok((await statusText()).includes(`${CONTEXT} · ${facts()}`), await statusText());
          assert.deepEqual(statusChecks(server.extensionLog().slice(before)), [], 'shown before any check answered');
          const tip = (await wb.hoverText(status().locator)).replace(/\s+/g, ' ');
          assert.match(tip, /Last checked .* ago; not checked again yet\./);
          assert.ok(tip.includes(`Operating system: ${expected.os}`), tip);
          assert.ok(tip.includes(`Architecture: ${expected.arch} (${expected.platform})`), tip);
          assert.ok(tip.includes(`Engine version: ${expected.serverVersion}`), tip);
          await wb.dismissTransient();
        });
        await wb.step('sshd gone: the failure replaces the remembered facts', async () => {
          await sshd.stop();
          frozen = false;
          await waitFor(
            'the status bar to say why',
            statusText,
            (t) => t.includes(`${CONTEXT} · `) && !t.includes(facts()),
            120_000,
          );
          assert.doesNotMatch(await status().ariaLabel(), /last checked/);
          assert.match(await statusClass(), /warning-kind/);
        });
      } finally {
        if (frozen) {
          process.kill(sshd.pid, 'SIGCONT');
        }
      }
      await wb.step('sshd back: the status recovers within the short retries', async () => {
        const started = performance.now();
        await sshd.start();
        await waitFor(
          'the status bar to show the daemon again',
          statusText,
          (t) => t.includes(`${CONTEXT} · ${facts()}`),
          60_000,
        );
        const ms = performance.now() - started;
        assert.doesNotMatch(await status().ariaLabel(), /last checked/);
        process.stdout.write(`# status recovered ${ms.toFixed(0)} ms after sshd started again (interval 600 s)\n`);
      });
    },
  );
});
