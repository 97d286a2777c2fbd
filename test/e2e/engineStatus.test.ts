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
 *
 * The file is longer than the project's ~400 lines on purpose: its checks share one code-server
 * session (starting one costs 10–20 s here), and each check is a separate `it` with its own setup.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { addKnownHost, appendSshConfig, generateKey, knownHostsLine, sshHostBlock } from '../support';
import { REPO_ROOT } from '../support/codeServer';
import {
  CONTAINER_TITLE as CONTAINER,
  CONTEXTS_VIEW_TITLE as VIEW,
  STATUS_ITEM_ID as STATUS_ID,
  showsName,
} from '../support/contextsUi';
import { e2eSession } from '../support/e2eSession';
import { waitFor } from '../support/workbench';

const T = { timeout: 600_000 };
const ALIAS = 'e2e-engine';
const CONTEXT = 'remote-e2e';
/** An alias of the same server whose host key is recorded under another name: not trusted yet. */
const STRANGER_ALIAS = 'e2e-stranger';
const STRANGER = 'stranger-e2e';
/** Seconds between status checks while the window is focused (short, so the test sees the interval work). */
const INTERVAL_SECONDS = 2;

describe('e2e: the remote daemon in the status bar and the Docker Contexts view', () => {
  /** What the real docker CLI reports for the SSH context. */
  let expected: { os: string; arch: string; serverVersion: string; ncpu: number; kernel: string; platform: string };

  // Background probes never pop anything up, and a failure is a state, not an error toast (strictUi).
  const s = e2eSession({
    name: 'engine status',
    dockerd: true,
    sshd: true,
    users: { user: { docker: true } },
    // Debug lines are written: one per status check, which the steps below count.
    env: () => ({ LOG_LEVEL: 'debug' }),
    prepare: async ({ home, sshd, dockerd, users: { user }, cli }) => {
      const key = await generateKey(home.home, 'id_ed25519');
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
      expected = {
        os: info.OperatingSystem,
        arch: info.Architecture,
        serverVersion: info.ServerVersion,
        ncpu: info.NCPU,
        kernel: info.KernelVersion,
        // The daemon's own platform, as the CLI reads it from /version.
        platform: await cli.serverPlatform(CONTEXT),
      };
      assert.ok(expected.os && expected.arch, `docker info reports OS and architecture: ${JSON.stringify(expected)}`);
      assert.equal(await cli.show(), 'default');
    },
    workspaceFiles: { Dockerfile: 'FROM local/busybox\nCOPY . /app\nCMD ["/bin/httpd", "-f", "-p", "8080"]\n' },
    settings: {
      'workbench.colorTheme': 'Default Dark Modern',
      'remote.autoForwardPorts': false,
      'remoteDocker.statusBar.refreshInterval': INTERVAL_SECONDS,
    },
    viewport: { width: 1280, height: 800 },
    open: { container: CONTAINER, view: VIEW, row: CONTEXT, sidebarWidth: 520, file: 'Dockerfile' },
    strictUi: true,
  });

  const status = () => s.wb.statusBarItem(STATUS_ID);
  const statusText = () => status().text();
  const statusClass = async (): Promise<string> => (await status().locator.getAttribute('class')) ?? '';
  const row = async (name: string) => (await s.wb.treeRows(VIEW)).find((r) => r.label === name);
  const facts = (): string => `${expected.os} · ${expected.arch}`;

  /** The status checks a stretch of the extension's log records, as "why" words ("interval", "command"…). */
  const statusChecks = (log: string): string[] =>
    [...log.matchAll(/Status refresh #\d+ \(([^)]*)\)/g)].map((m) => m[1]);

  /** Sets workspace settings (.vscode/settings.json of the open folder), which VS Code follows as the file changes. */
  function setWorkspaceSettings(values: Record<string, unknown>): void {
    const dir = path.join(s.workspace, '.vscode');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'settings.json');
    const current = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    fs.writeFileSync(file, JSON.stringify({ ...current, ...values }, null, 2));
  }

  it(
    'probes each context lazily: the row shows the OS and architecture docker --context X info reports',
    T,
    async () => {
      await s.wb.step('tree shows the remote OS and architecture', async () => {
        const r = await waitFor(
          `the ${CONTEXT} row to show ${facts()}`,
          () => row(CONTEXT),
          (x) => !!x?.description.includes(facts()),
          90_000,
        );
        assert.ok(r);
        assert.equal(r.description, `ssh://${ALIAS}${s.dockerd.socket} · ${facts()}`);
        assert.equal(r.ariaLabel, `${CONTEXT}, ssh://${ALIAS}${s.dockerd.socket}, ${expected.os}, ${expected.arch}`);
      });
      // default is probed too; whatever this machine has there, it is shown without a pop-up.
      assert.ok(showsName(await statusText(), 'default'));
      assert.equal(await s.wb.page.locator('.monaco-dialog-box').count(), 0, 'no dialog');
    },
  );

  it(
    'switching from default to the SSH context shows the remote OS and architecture in the status bar, with details in the tooltip',
    T,
    async () => {
      assert.equal(await s.cli.show(), 'default');
      await s.wb.step('switch by clicking the row', async () => {
        await s.wb.clickTreeRow(CONTEXT, VIEW);
        await s.cli.waitShows(CONTEXT);
        const text = await waitFor(
          'the status bar to show the remote OS and architecture',
          statusText,
          (t) => t.includes(`${CONTEXT} · ${facts()}`),
          60_000,
        );
        assert.ok(showsName(text, CONTEXT));
        assert.doesNotMatch(await statusClass(), /warning-kind/);
        assert.equal(await status().ariaLabel(), `Docker context ${CONTEXT}, ${expected.os}, ${expected.arch}`);
        // The row is redrawn after the status bar: wait for its "current" mark, then check it whole.
        const want = `ssh://${ALIAS}${s.dockerd.socket} · ${facts()} · current`;
        const r = await waitFor(
          'the row to mark the context current',
          () => row(CONTEXT),
          (x) => x?.description === want,
          30_000,
        ).catch(() => row(CONTEXT));
        assert.equal(r?.description, want);
      });
      await s.wb.step('status tooltip', async () => {
        const tip = (await s.wb.hoverText(status().locator)).replace(/\s+/g, ' ');
        for (const part of [
          `Docker context: ${CONTEXT}`,
          `Endpoint: ssh://${ALIAS}${s.dockerd.socket}`,
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
        const shot = await s.wb.screenshot('status tooltip for the README');
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
      await s.wb.step('daemon stopped: found by the periodic check', async () => {
        await s.dockerd.stopDaemonOnly();
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
        const tip = (await s.wb.hoverText(status().locator)).replace(/\s+/g, ' ');
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
      await s.wb.step("the row's Diagnose shows the SSH report with the failed step", async () => {
        await s.wb.waitTreeQuiet(VIEW);
        const r = s.wb.treeRow(CONTEXT, VIEW);
        await r.hover();
        await r.locator('.actions .action-label[aria-label^="Diagnose Docker Context"]').click();
        await s.wb.quickPick.waitOpen();
        assert.match(await s.wb.quickPick.title(), new RegExp(`Diagnose Docker Context: ${CONTEXT}`));
        const rows = await waitFor(
          'the diagnose steps',
          () => s.wb.quickPick.rows(),
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
      await s.wb.quickPick.cancel();
      await s.wb.quickPick.waitClosed();
      await s.wb.step('daemon restarted: recovered by the periodic check', async () => {
        await s.dockerd.restart();
        await waitFor(
          'the status bar to show the daemon again',
          statusText,
          (t) => t.includes(`${CONTEXT} · ${facts()}`),
          60_000,
        );
        assert.doesNotMatch(await statusClass(), /warning-kind/);
      });
      await s.wb.step('periodic check off, daemon stopped: found by Refresh', async () => {
        setWorkspaceSettings({ 'remoteDocker.statusBar.refreshInterval': 0 });
        await waitFor(
          'the extension to turn the periodic check off',
          () => Promise.resolve(s.server.extensionLog()),
          (l) => l.includes('Periodic status check off'),
          30_000,
        );
        await s.dockerd.stopDaemonOnly();
        const stoppedAt = s.server.extensionLog().length;
        // Three intervals: the span in which the periodic check, were it on, would have run three times.
        await s.wb.settle(INTERVAL_SECONDS * 1000 * 3);
        const checks = statusChecks(s.server.extensionLog().slice(stoppedAt));
        assert.deepEqual(checks, [], 'no status check ran after the daemon stopped');
        assert.ok(
          (await statusText()).includes(`${CONTEXT} · ${facts()}`),
          `still the last answer: ${await statusText()}`,
        );
        await s.wb.runCommand('Remote Docker: Refresh');
        await waitFor(
          'the status bar to say "daemon not running"',
          statusText,
          (t) => t.includes(`${CONTEXT} · daemon not running`),
          60_000,
        );
        assert.match(await statusClass(), /warning-kind/);
      });
      await s.wb.step('daemon restarted: Refresh recovers', async () => {
        await s.dockerd.restart();
        await s.wb.runCommand('Remote Docker: Refresh');
        await waitFor(
          'the status bar to show the daemon again',
          statusText,
          (t) => t.includes(`${CONTEXT} · ${facts()}`),
          60_000,
        );
        setWorkspaceSettings({ 'remoteDocker.statusBar.refreshInterval': INTERVAL_SECONDS });
        await waitFor(
          'the periodic check to be on again',
          () => Promise.resolve(s.server.extensionLog()),
          (l) =>
            l.includes(`Status check every ${INTERVAL_SECONDS} s`) &&
            l.lastIndexOf(`Status check every`) > l.lastIndexOf('Periodic status check off'),
          30_000,
        );
      });
      // One SSH connection carried all of it: the pool reconnects only when a connection died.
      assert.match(s.server.extensionLog(), new RegExp(`engine ssh://${ALIAS}.*: connected to`));
    },
  );

  it('"Show Remote Engine Info" opens a read-only JSON document with the daemon\'s /info', T, async () => {
    await s.wb.step('run the command and pick the context', async () => {
      await s.wb.runCommand('Remote Docker: Show Remote Engine Info');
      await s.wb.quickPick.waitOpen();
      assert.match(await s.wb.quickPick.title(), /Show Remote Engine Info/);
      await s.wb.quickPick.pick(CONTEXT);
      await waitFor(
        'the engine info document',
        () => s.wb.activeEditorTitle(),
        (t) => t === `${CONTEXT}.engine.json`,
        60_000,
      );
    });
    await s.wb.step('the document has the OperatingSystem docker info reports', async () => {
      const top = await s.wb.editorText();
      assert.match(top, new RegExp(`"Context": "${CONTEXT}"`));
      // Find scrolls the editor to the line (Monaco renders only the lines in view).
      await s.wb.page.keyboard.press('Control+F');
      const find = s.wb.page.locator('.editor-widget.find-widget textarea, .editor-widget.find-widget input').first();
      await find.fill('"OperatingSystem"');
      await find.press('Enter');
      await s.wb.page.keyboard.press('Escape');
      const text = await waitFor(
        'the OperatingSystem line',
        () => s.wb.editorText(),
        (t) => /"OperatingSystem": /.test(t),
      );
      const line = text.split('\n').find((l) => l.includes('"OperatingSystem": '));
      assert.equal(line?.trim(), `"OperatingSystem": ${JSON.stringify(expected.os)},`);
    });
    await s.wb.step('the document is read-only', async () => {
      await s.wb.assertEditorReadOnly();
    });
  });

  it(
    'a host key not trusted yet is never asked about in the background; the row\'s "Trust Host…" asks with the fingerprint, then the row shows the daemon',
    T,
    async () => {
      await s.wb.step('stranger: host key not trusted yet', async () => {
        const r = await waitFor(
          `the ${STRANGER} row to say why`,
          () => row(STRANGER),
          (x) => !!x?.description.includes('host key not trusted yet'),
          90_000,
        );
        assert.equal(r?.description, `ssh://${STRANGER_ALIAS}${s.dockerd.socket} · host key not trusted yet`);
        assert.equal(await s.wb.page.locator('.monaco-dialog-box').count(), 0, 'the background probe asked nothing');
        assert.equal(
          fs.readFileSync(path.join(s.home.sshDir, 'known_hosts'), 'utf8').includes(`${STRANGER_ALIAS}.example`),
          false,
        );
        const tip = await s.wb.hoverText(s.wb.treeRow(STRANGER, VIEW).locator('.label-name'));
        assert.match(tip, /The host key of .* is not known yet/);
        assert.match(tip, /Trust Host…/);
      });
      await s.wb.step('stranger: "Trust Host…" in the tooltip asks with the fingerprint', async () => {
        await s.wb.page.locator('.workbench-hover:not(.hidden) a', { hasText: 'Trust Host…' }).first().click();
        const dialog = await s.wb.modalDialog(60_000);
        assert.match(
          dialog.text,
          new RegExp(`The authenticity of host '${STRANGER_ALIAS}\\.example' can't be established`),
        );
        assert.ok(dialog.detail.includes(`ED25519 key fingerprint is ${s.sshd.hostKeyFingerprint}.`), dialog.detail);
        await dialog.clickButton('Trust Host');
        await dialog.waitClosed();
      });
      await s.wb.step('stranger: trusted, the row shows the daemon', async () => {
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
          { env: s.home.env, timeoutMs: 30_000 },
        );
        assert.equal(ssh.code, 0, ssh.stderr);
      });
    },
  );

  it(
    'after a reload the status shows the last known facts at once, not checked again yet; a failure replaces them, and sshd coming back recovers within the short retries',
    T,
    async () => {
      await s.wb.dismissTransient();
      await s.wb.step('current: the SSH context, periodic check every 10 min', async () => {
        if ((await s.cli.show()) !== CONTEXT) {
          await s.cli.run(['context', 'use', CONTEXT]);
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
          () => Promise.resolve(s.server.extensionLog()),
          (l) => l.lastIndexOf('Status check every 600 s') > l.lastIndexOf(`Status check every ${INTERVAL_SECONDS} s`),
          30_000,
        );
      });
      // A frozen sshd: the kernel accepts the new connection and nobody answers, so the first
      // check after the reload waits, and what the status shows meanwhile comes from memory.
      process.kill(s.sshd.pid, 'SIGSTOP');
      let frozen = true;
      try {
        await s.wb.step('reload: the remembered facts at once, marked as not checked again', async () => {
          const before = s.server.extensionLog().length;
          await s.wb.runCommand('Developer: Reload Window');
          await s.wb.waitReady();
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
          assert.deepEqual(statusChecks(s.server.extensionLog().slice(before)), [], 'shown before any check answered');
          const tip = (await s.wb.hoverText(status().locator)).replace(/\s+/g, ' ');
          assert.match(tip, /Last checked .* ago; not checked again yet\./);
          assert.ok(tip.includes(`Operating system: ${expected.os}`), tip);
          assert.ok(tip.includes(`Architecture: ${expected.arch} (${expected.platform})`), tip);
          assert.ok(tip.includes(`Engine version: ${expected.serverVersion}`), tip);
          await s.wb.dismissTransient();
        });
        await s.wb.step('sshd gone: the failure replaces the remembered facts', async () => {
          await s.sshd.stop();
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
          process.kill(s.sshd.pid, 'SIGCONT');
        }
      }
      await s.wb.step('sshd back: the status recovers within the short retries', async () => {
        const started = performance.now();
        await s.sshd.start();
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
