/**
 * Remote ports on localhost, in a real VS Code (code-server + Chromium) against a real sshd and a
 * real dockerd, with the docker CLI and an HTTP client of the test as the oracles:
 *
 * - the current context is an ssh:// context to the test sshd; a container started with the
 *   docker CLI (`docker run -d -p 127.0.0.2:PORT:8080 …`, as in a terminal) appears in the Ports view as
 *   container → remote address → local address, on the same port number (the laptop side's
 *   127.0.0.1:PORT is free: the remote publishes on another loopback address);
 * - Open in Browser opens the local address (the URL is read from the extension's log line), and
 *   that URL serves what only the remote container serves; Copy Local Address copies it;
 * - the status bar's tooltip counts the forward;
 * - Stop Forwarding closes the local port, Forward Again opens it with the same content;
 * - Forward a Port… lists a port a container exposes without publishing it, and forwards it;
 * - stopping the container removes its row and closes the local port;
 * - with auto-forward off, the empty view says so.
 *
 * Every step leaves a screenshot under test-results/screenshots/ports/; the README's
 * media/screenshot-ports.png is a copy of the "container listed" step's.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  addKnownHost,
  appendSshConfig,
  canConnect,
  freePort,
  generateKey,
  importBusybox,
  knownHostsLine,
  sshHostBlock,
} from '../support';
import { REPO_ROOT } from '../support/codeServer';
import { CONTAINER_TITLE as CONTAINER, CONTEXTS_VIEW_TITLE, STATUS_ITEM_ID } from '../support/contextsUi';
import { e2eSession } from '../support/e2eSession';
import { waitFor, waitUntil } from '../support/workbench';

const T = { timeout: 600_000 };
const VIEW = 'Ports';
const ALIAS = 'e2e-ports';
const CONTEXT = 'ports-e2e';
const NETWORK = 'e2e-ports-net';
const NAME = 'e2e-web';
/** A container that exposes 8080 without publishing it (Forward a Port…). */
const EXPOSED = 'e2e-exposed';
/** What only the remote container serves. */
const TOKEN = `served-by-the-remote-container-${process.pid}`;

/** GET the URL over a new connection; status and body. */
function httpGet(url: string, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

describe('e2e: remote ports on localhost (the Ports view)', () => {
  /** Free on this machine's 127.0.0.1 when the test starts: the remote publishes it on 127.0.0.2. */
  let port: number;

  const s = e2eSession({
    name: 'ports',
    dockerd: true,
    sshd: true,
    users: { user: { docker: true } },
    prepare: async ({ home, sshd, dockerd, users: { user }, cli }) => {
      const key = await generateKey(home.home, 'id_ed25519');
      user.authorizeKey(key.publicLine);
      appendSshConfig(
        home.home,
        sshHostBlock({ alias: ALIAS, port: sshd.port, user: user.name, identityFile: key.privateKey }),
      );
      addKnownHost(home.home, knownHostsLine(sshd));
      await importBusybox(dockerd.socket);
      await cli.run(['context', 'create', CONTEXT, '--docker', `host=ssh://${ALIAS}${dockerd.socket}`]);
      await cli.run(['context', 'use', CONTEXT]);
      // The harness's dockerd has no default bridge: ports publish for a user-defined network.
      await cli.run(['network', 'create', NETWORK]);
      port = await freePort();
    },
    settings: {
      'workbench.colorTheme': 'Default Dark Modern',
      // VS Code's own forwarding of terminal output URLs stays out of the picture.
      'remote.autoForwardPorts': false,
    },
    viewport: { width: 1280, height: 800 },
    open: { container: CONTAINER, view: CONTEXTS_VIEW_TITLE, row: CONTEXT, sidebarWidth: 520 },
    strictUi: true,
  });

  const rowLabel = (): string => `127.0.0.2:${port} → localhost:${port}`;
  const url = (): string => `http://localhost:${port}/`;
  const row = async () => (await s.wb.treeRows(VIEW)).find((r) => r.label === rowLabel());
  const logSince = (mark: number): string => s.server.extensionLog().slice(mark);

  it(
    'a container started with docker run -d -p appears with its local address, which serves the remote content',
    T,
    async () => {
      await s.wb.step('empty view says what it forwards', async () => {
        const welcome = s.wb.page.locator('.pane', {
          hasText: 'No running container of the current context publishes',
        });
        await welcome.first().waitFor({ state: 'visible', timeout: 60_000 });
        assert.equal(await canConnect(port), false, `nothing listens on 127.0.0.1:${port} yet`);
      });
      await s.wb.step('docker run -d -p on the remote daemon', async () => {
        // As in a terminal: the docker CLI with code-server's environment, whose current context is
        // the ssh:// one. (VS Code's terminal resolves a login shell's PATH, which drops the
        // harness's OpenSSH shims for the temp home, so the test runs the CLI itself.)
        const script = `mkdir -p /www && echo ${TOKEN} > /www/index.html && exec httpd -f -p 8080 -h /www`;
        await s.cli.run([
          'run',
          '-d',
          '--name',
          NAME,
          '--network',
          NETWORK,
          '-p',
          `127.0.0.2:${port}:8080`,
          'local/busybox',
          'sh',
          '-c',
          script,
        ]);
      });
      await s.wb.step('container listed with its local address', async () => {
        await s.wb.openViewContainer(CONTAINER);
        const r = await waitFor('the Ports view to list the forward', row, (x) => x !== undefined, 60_000);
        const rows = await s.wb.treeRows(VIEW);
        const container = rows.find((x) => x.label === NAME);
        assert.ok(container, `a container row ${NAME}: ${JSON.stringify(rows)}`);
        assert.equal(container.description, 'local/busybox');
        assert.match(r?.description ?? '', /^forwarding/);
        await s.wb.parkMouse();
        // The README screenshot: the Ports view as a user sees it.
        const shot = await s.wb.screenshot('ports view for the README');
        fs.mkdirSync(path.join(REPO_ROOT, 'test-results'), { recursive: true });
        fs.copyFileSync(shot, path.join(REPO_ROOT, 'test-results', 'screenshot-ports.png'));
      });

      await s.wb.step('Open in Browser opens the local address, which serves the remote content', async () => {
        const mark = s.server.extensionLog().length;
        await s.wb.treeRowContextMenu(rowLabel(), 'Open in Browser', VIEW);
        const line = await waitFor(
          'the log line of Open in Browser',
          () => /Ports: opening (\S+)/.exec(logSince(mark)),
          (m) => m !== null,
        );
        const opened = line?.[1] ?? '';
        assert.equal(opened, url(), 'the local address, never the remote one');
        const got = await httpGet(opened);
        assert.equal(got.status, 200);
        assert.equal(got.body.trim(), TOKEN);
      });

      await s.wb.step('Copy Local Address', async () => {
        const mark = s.server.extensionLog().length;
        await s.wb.treeRowContextMenu(rowLabel(), 'Copy Local Address', VIEW);
        await waitUntil('the copy to be logged', () => logSince(mark).includes(`Ports: copied localhost:${port}`));
      });

      await s.wb.step('status bar tooltip counts the forward', async () => {
        const tip = await s.wb.hoverText(s.wb.statusBarItem(STATUS_ITEM_ID).locator);
        assert.ok(tip.includes('1 port forwarded to this machine'), tip);
      });
    },
  );

  it('Stop Forwarding closes the local port; Forward Again opens it with the same content', T, async () => {
    await waitFor('the forward', row, (x) => x !== undefined, 60_000);
    await s.wb.step('stopped', async () => {
      await s.wb.treeRowContextMenu(rowLabel(), 'Stop Forwarding', VIEW);
      await waitFor(
        'the row to say stopped',
        async () => (await s.wb.treeRows(VIEW)).find((r) => r.label.startsWith(`127.0.0.2:${port} →`)),
        (r) => r?.description === 'stopped',
      );
      await waitUntil('the local port to close', async () => !(await canConnect(port)));
    });
    await s.wb.step('forwarding again', async () => {
      const stopped = (await s.wb.treeRows(VIEW)).find((r) => r.label.startsWith(`127.0.0.2:${port} →`));
      await s.wb.treeRowContextMenu(stopped?.label ?? '', 'Forward Again', VIEW);
      const r = await waitFor('the row to forward again', row, (x) => /^forwarding/.test(x?.description ?? ''));
      assert.ok(r);
      assert.equal((await httpGet(url())).body.trim(), TOKEN);
    });
  });

  it('Forward a Port… forwards a port the container exposes but does not publish', T, async () => {
    const token = `exposed-only-${process.pid}`;
    const script = `mkdir -p /www && echo ${token} > /www/index.html && exec httpd -f -p 8080 -h /www`;
    await s.cli.run([
      'run',
      '-d',
      '--name',
      EXPOSED,
      '--network',
      NETWORK,
      '--expose',
      '8080',
      'local/busybox',
      'sh',
      '-c',
      script,
    ]);
    await s.wb.step('picker lists the unpublished port', async () => {
      await s.wb.runCommand('Remote Docker: Forward a Port…');
      await s.wb.quickPick.waitOpen();
      await waitFor(
        'the picker to list the exposed port',
        () => s.wb.quickPick.rows(),
        (rows) => rows.some((r) => r.label === `${EXPOSED}: 8080/tcp`),
        60_000,
      );
    });
    const local = await s.wb.step('forwarded: the notification names the local address', async () => {
      await s.wb.quickPick.pick(`${EXPOSED}: 8080/tcp`);
      const n = await s.wb.notification(new RegExp(`Port 8080 of ${EXPOSED} answers at localhost:\\d+`), 60_000);
      return /localhost:(\d+)/.exec(n.text)?.[1] ?? '';
    });
    assert.equal((await httpGet(`http://localhost:${local}/`)).body.trim(), token);
    const manual = await waitFor(
      'the Ports view to list the manual forward',
      async () => (await s.wb.treeRows(VIEW)).find((r) => r.label.endsWith(`→ localhost:${local}`)),
      (r) => r !== undefined,
    );
    assert.match(manual?.description ?? '', /manual/);
    await s.wb.dismissTransient();
  });

  it('stopping the container removes its row and closes the local port', T, async () => {
    await waitFor('the forward', row, (x) => x !== undefined, 60_000);
    await s.wb.step('container stopped: row gone', async () => {
      await s.cli.run(['rm', '-f', NAME, EXPOSED]);
      await waitUntil('the containers and their forwards to leave the view', async () => {
        const rows = await s.wb.treeRows(VIEW);
        return !rows.some((r) => r.label === NAME || r.label === EXPOSED || r.label.startsWith(`127.0.0.2:${port} →`));
      });
      await waitUntil('the local port to close', async () => !(await canConnect(port)));
    });
  });

  it('with auto-forward off, the empty view says so and offers Forward a Port…', T, async () => {
    const settingsDir = path.join(s.workspace, '.vscode');
    fs.mkdirSync(settingsDir, { recursive: true });
    const welcome = (text: string) => s.wb.page.locator('.pane', { hasText: text }).first();
    await s.wb.step('auto-forward off', async () => {
      fs.writeFileSync(
        path.join(settingsDir, 'settings.json'),
        JSON.stringify({ 'remoteDocker.ports.autoForward': false }),
      );
      await welcome('Automatic forwarding is off').waitFor({ state: 'visible', timeout: 30_000 });
    });
    await s.wb.step('auto-forward on again', async () => {
      fs.writeFileSync(path.join(settingsDir, 'settings.json'), '{}');
      await welcome('No running container of the current context publishes').waitFor({
        state: 'visible',
        timeout: 30_000,
      });
    });
  });
});
