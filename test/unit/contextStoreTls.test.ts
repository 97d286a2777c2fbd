/**
 * The context store's TLS material and its config.json edits under races: a TLS folder that
 * exists but cannot be read is an error (never "no TLS", which would send the probe in plain
 * text); `default` takes its TLS from DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH as the
 * CLI does; a config.json changed between our read and our rename keeps the other change.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ContextStore, contextId, type DockerContextSummary } from '../../src/core/contexts/contextStore';
import { rejectsWith } from '../support/rejectsWith';
import { tempDirs } from '../support/tempDirs';

const tempDir = tempDirs('rdc-store-tls-');

function metaText(name: string, host: string): string {
  return `{"Name":${JSON.stringify(name)},"Metadata":{},"Endpoints":{"docker":{"Host":${JSON.stringify(host)},"SkipTLSVerify":false}}}`;
}

/** A store with one tcp:// context `secure` whose TLS folder the caller then spoils. */
async function storeWithTls(): Promise<{ dir: string; store: ContextStore; tlsId: string; docker: string }> {
  const dir = await tempDir();
  const id = contextId('secure');
  await fs.mkdir(path.join(dir, 'contexts', 'meta', id), { recursive: true });
  await fs.writeFile(path.join(dir, 'contexts', 'meta', id, 'meta.json'), metaText('secure', 'tcp://10.0.0.9:2376'));
  const docker = path.join(dir, 'contexts', 'tls', id, 'docker');
  await fs.mkdir(docker, { recursive: true });
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) {
    await fs.writeFile(path.join(docker, f), 'x');
  }
  return { dir, store: new ContextStore({ configDir: dir, env: {}, platform: 'linux' }), tlsId: id, docker };
}

function assertRefused(s: DockerContextSummary, what: string): void {
  assert.equal(s.error?.reason, 'tlsMaterialUnreadable', `${what}: ${JSON.stringify(s)}`);
  assert.equal(s.tlsPath, undefined, what);
}

describe('TLS material of a stored context', () => {
  test('a readable folder: hasTls and the folder; no folder (ENOENT): no TLS and no error', async () => {
    const { store, docker, dir, tlsId } = await storeWithTls();
    const s = await store.get('secure');
    assert.deepEqual([s.hasTls, s.tlsPath, s.error], [true, docker, undefined]);
    await fs.rm(path.join(dir, 'contexts', 'tls', tlsId), { recursive: true });
    const none = await store.get('secure');
    assert.deepEqual([none.hasTls, none.tlsPath, none.error], [false, undefined, undefined]);
    await fs.rm(path.join(dir, 'contexts', 'tls'), { recursive: true });
    assert.equal((await store.get('secure')).error, undefined);
  });

  const spoilers: [string, (p: { dir: string; tlsId: string; docker: string }) => Promise<void>][] = [
    [
      'tls/<id> a symlink loop (ELOOP)',
      async ({ dir, tlsId }) => {
        const p = path.join(dir, 'contexts', 'tls', tlsId);
        await fs.rm(p, { recursive: true });
        await fs.symlink(p, p);
      },
    ],
    [
      'tls/<id> a file (ENOTDIR)',
      async ({ dir, tlsId }) => {
        const p = path.join(dir, 'contexts', 'tls', tlsId);
        await fs.rm(p, { recursive: true });
        await fs.writeFile(p, 'not a folder');
      },
    ],
    [
      'tls/<id>/docker a symlink loop',
      async ({ docker }) => {
        await fs.rm(docker, { recursive: true });
        await fs.symlink(docker, docker);
      },
    ],
    [
      'tls/<id>/docker a file',
      async ({ docker }) => {
        await fs.rm(docker, { recursive: true });
        await fs.writeFile(docker, 'not a folder');
      },
    ],
    [
      'contexts/tls a symlink loop',
      async ({ dir }) => {
        const p = path.join(dir, 'contexts', 'tls');
        await fs.rm(p, { recursive: true });
        await fs.symlink(p, p);
      },
    ],
  ];
  for (const [what, spoil] of spoilers) {
    test(`${what}: the context is refused with a reason, in get() and list()`, async () => {
      const t = await storeWithTls();
      await spoil(t);
      assertRefused(await t.store.get('secure'), `get ${what}`);
      const listed = (await t.store.list()).find((c) => c.name === 'secure');
      assert.ok(listed);
      assertRefused(listed, `list ${what}`);
    });
  }

  test('EACCES (chmod 000, as a user who is not root): refused, not plain text', async (t) => {
    const { dir, tlsId } = await storeWithTls();
    const tlsFolder = path.join(dir, 'contexts', 'tls', tlsId);
    const script = `
      const { ContextStore } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/contexts/contextStore.js'))});
      const store = new ContextStore({ configDir: ${JSON.stringify(dir)}, env: {}, platform: 'linux' });
      Promise.all([store.get('secure'), store.list()]).then(([g, l]) =>
        process.stdout.write(JSON.stringify({ get: g, list: l.find((c) => c.name === 'secure') })));`;
    let out: string;
    if (process.getuid?.() === 0) {
      // root reads through chmod 000: run the store as `nobody`, on a tree nobody owns.
      const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
      if (nobody.status !== 0) {
        t.skip('no user "nobody" to run as (EACCES needs a user who is not root)');
        return;
      }
      const uid = Number(nobody.stdout.trim());
      spawnSync('chown', ['-R', `${uid}:${uid}`, dir]);
      await fs.chmod(path.dirname(dir), 0o755).catch(() => undefined);
      await fs.chmod(tlsFolder, 0o000);
      const r = spawnSync(process.execPath, ['-e', script], { uid, gid: uid, encoding: 'utf8', cwd: '/' });
      assert.equal(r.status, 0, r.stderr);
      out = r.stdout;
    } else {
      await fs.chmod(tlsFolder, 0o000);
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      out = r.stdout;
    }
    await fs.chmod(tlsFolder, 0o755);
    const { get, list } = JSON.parse(out) as { get: DockerContextSummary; list: DockerContextSummary };
    assertRefused(get, 'get');
    assertRefused(list, 'list');
    assert.match(get.error?.message ?? '', /EACCES|permission denied/i);
  });

  test('inspect: a file at tls/<id> fails as the CLI fails (not an empty TLSMaterial)', async () => {
    const { store, dir, tlsId } = await storeWithTls();
    const p = path.join(dir, 'contexts', 'tls', tlsId);
    await fs.rm(p, { recursive: true });
    await fs.writeFile(p, 'x');
    await rejectsWith(store.inspect('secure'), 'fileUnreadable');
  });
});

describe('TLS of the default context from the environment', () => {
  async function certDir(files = ['ca.pem', 'cert.pem', 'key.pem']): Promise<string> {
    const d = await tempDir();
    for (const f of files) {
      await fs.writeFile(path.join(d, f), 'x');
    }
    return d;
  }
  const store = (configDir: string, env: NodeJS.ProcessEnv): ContextStore =>
    new ContextStore({ configDir, env, platform: 'linux' });

  test('DOCKER_TLS_VERIFY + DOCKER_CERT_PATH: TLS, verified, from that folder', async () => {
    const certs = await certDir();
    const env = { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs };
    const s = await store(await tempDir(), env).get('default');
    assert.deepEqual([s.hasTls, s.tlsPath, s.skipTLSVerify, s.error], [true, certs, false, undefined]);
    const inspected = (await store(await tempDir(), env).inspect('default')) as Record<string, unknown>;
    assert.deepEqual(inspected.TLSMaterial, { docker: ['ca.pem', 'cert.pem', 'key.pem'] });
    assert.deepEqual(inspected.Endpoints, { docker: { Host: 'tcp://h:2376', SkipTLSVerify: false } });
  });

  test('DOCKER_TLS alone: TLS without verification; DOCKER_CERT_PATH unset: the config folder', async () => {
    const cfg = await certDir(['ca.pem']);
    const s = await store(cfg, { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1' }).get('default');
    assert.deepEqual([s.hasTls, s.tlsPath, s.skipTLSVerify, s.error], [true, cfg, true, undefined]);
  });

  test('no ca.pem where TLS is asked for: refused with a reason (the CLI fails too)', async () => {
    const certs = await certDir(['cert.pem', 'key.pem']);
    const env = { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs };
    const s = await store(await tempDir(), env).get('default');
    assert.equal(s.error?.reason, 'tlsMaterialUnreadable');
    await rejectsWith(store(await tempDir(), env).inspect('default'), 'tlsMaterialUnreadable');
  });

  test('neither variable: no TLS, whatever DOCKER_CERT_PATH holds', async () => {
    const certs = await certDir();
    const s = await store(await tempDir(), { DOCKER_HOST: 'tcp://h:2375', DOCKER_CERT_PATH: certs }).get('default');
    assert.deepEqual([s.hasTls, s.tlsPath, s.skipTLSVerify, s.error], [false, undefined, false, undefined]);
  });
});

describe('config.json changed between our read and our rename', () => {
  test('a key added meanwhile (as by `docker login`) survives `use`; the edit is made on the new text', async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, 'contexts', 'meta', contextId('other')), { recursive: true });
    await fs.writeFile(
      path.join(dir, 'contexts', 'meta', contextId('other'), 'meta.json'),
      metaText('other', 'ssh://h'),
    );
    const file = path.join(dir, 'config.json');
    await fs.writeFile(file, '{\n\t"auths": {}\n}');
    let calls = 0;
    const store = new ContextStore({
      configDir: dir,
      env: {},
      platform: 'linux',
      beforeConfigRename: async () => {
        if (calls++ === 0) {
          await fs.writeFile(file, '{\n\t"auths": {\n\t\t"registry.example": {\n\t\t\t"auth": "dTpw"\n\t\t}\n\t}\n}');
        }
      },
    });
    await store.use('other');
    const after = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(after, { auths: { 'registry.example': { auth: 'dTpw' } }, currentContext: 'other' });
    assert.equal(calls, 2, 'one retry on the fresh bytes');
  });

  test('a file that changes at every attempt: refused with a reason, the last change kept', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'config.json');
    await fs.writeFile(file, '{"currentContext":"x1"}');
    let n = 0;
    const store = new ContextStore({
      configDir: dir,
      env: {},
      platform: 'linux',
      beforeConfigRename: () => fs.writeFile(file, `{"currentContext":"x1","n":${++n}}`),
    });
    await rejectsWith(store.use('default'), 'fileChangedMeanwhile');
    assert.equal(await fs.readFile(file, 'utf8'), `{"currentContext":"x1","n":${n}}`);
    const leftovers = (await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
  });
});
