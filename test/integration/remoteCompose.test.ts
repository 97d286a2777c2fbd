/**
 * A compose project run where the daemon is: the folder is mirrored to the remote over SFTP,
 * then Debian's docker-compose 1.29 runs there (as the test sshd's user, on the test dockerd)
 * in the mirror, over an exec channel with a pty. The relative bind mount `./app:/www` resolves
 * to the mirrored files: busybox httpd serves them at the published port (the "remote" is this
 * machine, so 127.0.0.1), an edit re-synced is served changed, Down removes the container.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'ssh2';
import {
  composeCommand,
  composeProjectName,
  detectCompose,
  laptopProjectName,
  runPtyCommand,
  type ComposeAction,
} from '../../src/core/sync/remoteCompose';
import { syncFolder } from '../../src/core/sync/syncFolder';
import { engineRequest, freePort, importBusybox, requireRoot } from '../support';
import { tempDirs } from '../support/tempDirs';
import { syncSetup, type SyncSetup } from './syncSetup';

const T = { timeout: 600_000 };
const tempDir = tempDirs('rdc-compose-it-');

function fetchText(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** httpd may take a moment after `up -d` returns; bounded. */
async function fetchWhenUp(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  let last: unknown;
  for (let i = 0; i < 100; i++) {
    try {
      return await fetchText(port, urlPath);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing answered on 127.0.0.1:${port}: ${String(last)}`);
}

async function projectContainers(socket: string, project: string): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }));
  const r = await engineRequest(socket, 'GET', `/containers/json?all=1&filters=${filters}`);
  return (JSON.parse(r.body) as { Names: string[] }[]).map((c) => c.Names[0]);
}

describe('compose on the remote, in the mirror', () => {
  let s: SyncSetup;
  let client: Client;
  before(async () => {
    requireRoot('remoteCompose');
    s = await syncSetup({ dockerd: true });
    await importBusybox(s.dockerd!.socket);
    client = await s.connect();
  }, T);
  after(async () => {
    await s?.stop();
  }, T);

  it('project names follow compose: lower-cased, other characters removed; a top-level name wins', () => {
    assert.equal(composeProjectName('My Web.App_2-x'), 'mywebapp_2-x');
    assert.equal(composeProjectName('__Front'), 'front');
    assert.equal(laptopProjectName('/home/me/Shop Site/compose.yaml', undefined), 'shopsite');
    assert.equal(laptopProjectName('/home/me/x/compose.yaml', 'Named'), 'named');
  });

  it(
    'up serves the bind-mounted file at the published port; an edit re-synced is served changed; down removes it',
    T,
    async () => {
      const port = await freePort();
      const parent = await tempDir();
      const local = path.join(parent, 'Demo Site');
      await fs.mkdir(path.join(local, 'app'), { recursive: true });
      await fs.writeFile(path.join(local, 'app/index.html'), 'served from the mirror\n');
      await fs.writeFile(
        path.join(local, 'compose.yaml'),
        [
          'services:',
          '  web:',
          '    image: local/busybox',
          '    command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]',
          '    volumes:',
          '      - ./app:/www',
          '    ports:',
          `      - "127.0.0.1:${port}:8080"`,
          '',
        ].join('\n'),
      );
      const remoteDir = '~/.remote-docker/demo-site';
      const project = laptopProjectName(path.join(local, 'compose.yaml'), undefined);
      assert.equal(project, 'demosite');
      const flavor = await detectCompose(client);
      assert.equal(flavor, 'docker-compose', 'this machine has only the standalone docker-compose');
      const synced = await syncFolder({ client, localRoot: local, remoteDir });
      const run = (action: ComposeAction): Promise<{ code: number | null; output: string }> =>
        runPtyCommand(
          client,
          composeCommand({
            flavor,
            action,
            remoteRoot: synced.remoteDir,
            composeFile: 'compose.yaml',
            projectName: project,
          }),
        );

      const up = await run('up');
      assert.equal(up.code, 0, up.output);
      assert.deepEqual(await projectContainers(s.dockerd!.socket, project), ['/demosite_web_1']);
      assert.deepEqual(await fetchWhenUp(port, '/index.html'), { status: 200, body: 'served from the mirror\n' });

      await fs.writeFile(path.join(local, 'app/index.html'), 'edited on the laptop\n');
      const resync = await syncFolder({ client, localRoot: local, remoteDir });
      assert.equal(resync.uploaded, 1);
      assert.deepEqual(await fetchText(port, '/index.html'), { status: 200, body: 'edited on the laptop\n' });

      const down = await run('down');
      assert.equal(down.code, 0, down.output);
      assert.deepEqual(await projectContainers(s.dockerd!.socket, project), []);
    },
  );

  it('a remote without any compose says so', T, async () => {
    // sshd sets the session's PATH from ~/.ssh/environment (PermitUserEnvironment): no docker, no compose.
    await fs.appendFile(path.join(s.user.home, '.ssh/environment'), 'PATH=/nonexistent\n');
    try {
      const c = await s.connect();
      await assert.rejects(detectCompose(c), (e) => (e as { reason?: string }).reason === 'composeMissing');
    } finally {
      const env = await fs.readFile(path.join(s.user.home, '.ssh/environment'), 'utf8');
      await fs.writeFile(path.join(s.user.home, '.ssh/environment'), env.replace('PATH=/nonexistent\n', ''));
    }
  });
});
