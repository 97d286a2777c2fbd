/**
 * A laptop workspace run where the daemon is, in a real VS Code (code-server + Chromium) whose
 * Docker context is an ssh:// one to a real sshd and dockerd, driven from the command palette as a
 * user would, with the real `ssh`, the docker CLI and an HTTP client as the oracles:
 *
 * - "Sync Workspace Folder to the Remote Host" asks for the remote folder (the default offered),
 *   and the mirror appears there (`ssh ALIAS cat …`);
 * - "Run Compose Project on the Remote Host…" → Up brings the project up on the remote daemon
 *   (`docker ps`), and its container serves a file from the relative bind mount `./site:/www` on
 *   the published port;
 * - a file edited in the editor and saved, then synced again, is served changed;
 * - Down removes the container (`docker ps`).
 *
 * Every step leaves a screenshot under test-results/screenshots/sync-compose/.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import {
  addKnownHost,
  appendSshConfig,
  freePort,
  generateKey,
  importBusybox,
  knownHostsLine,
  sshHostBlock,
} from '../support';
import { e2eSession } from '../support/e2eSession';
import { waitFor } from '../support/workbench';

const T = { timeout: 600_000 };
const ALIAS = 'e2e-sync';
const CONTEXT = 'sync-e2e';
const SYNC = 'Sync Workspace Folder to the Remote Host';
const RUN = 'Run Compose Project on the Remote Host…';
const FIRST = `first-version-${process.pid}`;
const SECOND = `second-version-${process.pid}`;

/** GET the URL over a new connection: the body, or the error's message (the port may not answer yet). */
function httpGet(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', (e) => resolve(`error: ${e.message}`));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve(`error: ${e.message}`));
  });
}

describe('e2e: sync a workspace folder and run its compose project on the remote', () => {
  let port: number;

  const s = e2eSession({
    name: 'sync-compose',
    dockerd: true,
    sshd: true,
    users: { user: { docker: true } },
    prepare: async ({ home, sshd, dockerd, users: { user }, cli, workspace }) => {
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
      port = await freePort();
      fs.writeFileSync(
        path.join(workspace, 'compose.yaml'),
        [
          'services:',
          '  web:',
          '    image: local/busybox',
          '    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]',
          '    volumes:',
          '      - ./site:/www',
          '    ports:',
          `      - "127.0.0.1:${port}:8080"`,
          '',
        ].join('\n'),
      );
    },
    workspaceFiles: { 'site/index.html': `${FIRST}\n` },
    settings: { 'remote.autoForwardPorts': false },
    viewport: { width: 1280, height: 800 },
    strictUi: true,
  });

  let remoteDir = '';
  /**
   * From the command palette. Now and then the palette's first filtering of a fully typed title
   * lists no match at all ("similar commands") and never refilters: close it and type again.
   */
  const palette = async (title: string): Promise<void> => {
    try {
      await s.wb.runCommand(title);
    } catch {
      await s.wb.page.keyboard.press('Escape');
      await s.wb.runCommand(title);
    }
  };
  /** The real OpenSSH client through the alias the context uses, running one remote command. */
  const ssh = async (command: string): Promise<string> => {
    const r = await runProcess('ssh', ['-o', 'BatchMode=yes', ALIAS, command], { env: s.env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `ssh ${ALIAS} ${command}: ${r.stderr}`);
    return r.stdout;
  };
  const served = (): Promise<string> => httpGet(`http://127.0.0.1:${port}/index.html`);
  const containers = async (): Promise<string[]> => {
    const r = await s.cli.run(['ps', '--filter', 'label=com.docker.compose.project=project', '--format', '{{.Names}}']);
    return r.stdout.split('\n').filter((l) => l.trim() !== '');
  };
  /** Syncs from the palette and waits for the notification that says `expected` (an earlier sync's may still show). */
  const sync = async (step: string, expected: RegExp): Promise<string> =>
    s.wb.step(step, async () => {
      await palette(SYNC);
      const n = await s.wb.notification(expected, 120_000);
      return n.text;
    });

  it('Sync Workspace Folder: the mirror appears on the remote', T, async () => {
    const { wb } = s;
    await wb.step('remote folder asked', async () => {
      await palette(SYNC);
      remoteDir = await waitFor(
        'the remote folder input box',
        () => wb.inputBox.value(),
        (v) => v.startsWith('~'),
        30_000,
      );
      assert.match(remoteDir, /^~\/\.remote-docker\/project-[0-9a-f]{8}$/);
    });
    await wb.step('synced', async () => {
      await wb.inputBox.fill(remoteDir);
      const n = await wb.notification(/Synced project to /, 120_000);
      assert.match(n.text, /[1-9]\d* files sent/);
    });
    const rel = remoteDir.slice(2);
    assert.equal(await ssh(`cat ${rel}/site/index.html`), `${FIRST}\n`);
    assert.match(await ssh(`cat ${rel}/compose.yaml`), /\.\/site:\/www/);
  });

  it('Run Compose Project → Up: the container serves the file of the relative bind mount', T, async () => {
    const { wb } = s;
    await wb.step('compose action asked', async () => {
      await palette(RUN);
      await wb.quickPick.waitOpen();
      const rows = await wb.quickPick.rows();
      assert.deepEqual(
        rows.map((r) => r.label),
        ['Up', 'Down', 'Logs', 'Restart'],
      );
    });
    await wb.step('compose up in a terminal', async () => {
      await wb.quickPick.pick('Up');
      await wb.page
        .locator('.part.panel', { hasText: 'Compose up: project on sync-e2e' })
        .first()
        .waitFor({ state: 'visible', timeout: 60_000 });
      const names = await waitFor('docker ps to list the project', containers, (n) => n.length === 1, 180_000);
      // `up -d` returns once the container runs: the terminal's channel closes and its lease goes back.
      await waitFor(
        'the log to say the compose command ended',
        () => s.server.extensionLog(),
        (l) => /Compose command ended \(exit 0\): .* up -d --build/.test(l),
        120_000,
      );
      assert.match(names[0], /^project[_-]web[_-]1$/);
      const body = await waitFor('the published port to serve', served, (b) => b === `${FIRST}\n`, 60_000);
      assert.equal(body, `${FIRST}\n`);
      // The daemon mounted the mirror, not the laptop's folder.
      const mounts = await s.cli.run(['inspect', '--format', '{{range .Mounts}}{{.Source}}{{end}}', names[0]]);
      assert.match(mounts.stdout.trim(), /\/\.remote-docker\/project-[0-9a-f]{8}\/site$/);
      assert.ok(!mounts.stdout.includes(s.workspace), `mounts the mirror: ${mounts.stdout}`);
    });
  });

  it('a file edited and saved in the editor, synced again, is served changed', T, async () => {
    const { wb } = s;
    await wb.step('file edited and saved', async () => {
      await wb.openFile('index.html');
      await wb.page.locator('.editor-instance .view-lines').first().click();
      await wb.page.keyboard.press('Control+A');
      await wb.page.keyboard.type(SECOND);
      await wb.page.keyboard.press('Control+S');
      await waitFor(
        'the file saved on disk',
        () => fs.readFileSync(path.join(s.workspace, 'site', 'index.html'), 'utf8'),
        (t) => t === SECOND,
        30_000,
      );
    });
    assert.equal(await served(), `${FIRST}\n`, 'not synced yet: the remote still serves the first version');
    const text = await sync('synced again', /Synced project to .*: 1 files sent/);
    assert.match(text, /: 1 files sent/);
    const body = await waitFor('the changed file to be served', served, (b) => b === SECOND, 30_000);
    assert.equal(body, SECOND);
  });

  it('Run Compose Project → Down: the container is gone', T, async () => {
    const { wb } = s;
    await wb.step('compose down', async () => {
      await palette(RUN);
      await wb.quickPick.pick('Down');
      const left = await waitFor(
        'docker ps to list nothing of the project',
        containers,
        (n) => n.length === 0,
        120_000,
      );
      assert.deepEqual(left, []);
      const all = await s.cli.run(['ps', '-a', '--format', '{{.Names}}']);
      assert.equal(all.stdout.trim(), '', 'down removed the container, not only stopped it');
      assert.match(await served(), /^error: /, 'nothing serves the port any more');
    });
  });
});
