/**
 * Interop with the real docker CLI (it needs no daemon for `docker context …`): what this
 * project writes, the CLI reads and uses; what the CLI writes, this project reads; and both
 * agree on the current context for every combination of DOCKER_HOST / DOCKER_CONTEXT / config.
 * Every CLI run gets a temp DOCKER_CONFIG and HOME and no DOCKER_HOST/DOCKER_CONTEXT unless a
 * test sets them.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ContextStore, type DockerContextSummary, contextId } from '../../src/core/contexts/contextStore';
import { type RunResult, runProcess } from '../../src/core/common/exec';
import { DOCKER_CLI } from '../support/busybox';

const temps: string[] = [];
after(async () => {
  for (const d of temps) {
    await fs.rm(d, { recursive: true, force: true });
  }
});

interface Sandbox {
  configDir: string;
  home: string;
  /** A store seeing the given environment (none of DOCKER_HOST/DOCKER_CONTEXT by default). */
  store(env?: NodeJS.ProcessEnv): ContextStore;
  /** Runs the docker CLI on this DOCKER_CONFIG; fails the test on a non-zero exit unless `allowFail`. */
  docker(args: string[], options?: { env?: NodeJS.ProcessEnv; allowFail?: boolean }): Promise<RunResult>;
  cliList(env?: NodeJS.ProcessEnv): Promise<CliRow[]>;
  cliInspect(names: string[], env?: NodeJS.ProcessEnv): Promise<unknown[]>;
  metaBytes(name: string): Promise<string>;
}

interface CliRow {
  Name: string;
  Description: string;
  DockerEndpoint: string;
  Current: boolean;
  Error: string;
}

async function sandbox(): Promise<Sandbox> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdc-cli-'));
  temps.push(base);
  const configDir = path.join(base, 'docker-config');
  const home = path.join(base, 'home');
  await fs.mkdir(configDir, { mode: 0o700 });
  await fs.mkdir(home);
  const cliEnv = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const out: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, DOCKER_CONFIG: configDir };
    for (const [k, v] of Object.entries(env)) {
      if (v !== undefined) {
        out[k] = v;
      }
    }
    return out;
  };
  const docker = async (
    args: string[],
    options: { env?: NodeJS.ProcessEnv; allowFail?: boolean } = {},
  ): Promise<RunResult> => {
    const r = await runProcess(DOCKER_CLI, args, { env: cliEnv(options.env), timeoutMs: 60_000 });
    if (!options.allowFail) {
      assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}`);
    }
    return r;
  };
  return {
    configDir,
    home,
    store: (env = {}) => new ContextStore({ configDir, env }),
    docker,
    async cliList(env) {
      const r = await docker(['context', 'ls', '--format', 'json'], { env });
      return r.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as CliRow);
    },
    async cliInspect(names, env) {
      const r = await docker(['context', 'inspect', ...names], { env });
      return JSON.parse(r.stdout) as unknown[];
    },
    metaBytes: (name) => fs.readFile(path.join(configDir, 'contexts', 'meta', contextId(name), 'meta.json'), 'utf8'),
  };
}

/** Our list against `docker context ls --format json`: same names in the same order, field by field. */
function assertSameListing(ours: DockerContextSummary[], cli: CliRow[]): void {
  assert.deepEqual(
    ours.map((c) => c.name),
    cli.map((r) => r.Name),
    'names and order',
  );
  for (let i = 0; i < cli.length; i++) {
    const o = ours[i];
    const c = cli[i];
    assert.equal(o.description, c.Description, `Description of ${c.Name}`);
    assert.equal(o.endpoint, c.DockerEndpoint, `DockerEndpoint of ${c.Name}`);
    assert.equal(o.current ?? false, c.Current, `Current of ${c.Name}`);
    assert.equal(
      o.error === undefined,
      c.Error === '',
      `Error of ${c.Name}: ours ${JSON.stringify(o.error)}, CLI ${JSON.stringify(c.Error)}`,
    );
  }
}

/** A self-signed certificate and key made by openssl, so the CLI accepts them as TLS material. */
async function makeCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const r = await runProcess(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=rdc-test',
      '-days',
      '2',
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  return { cert, key };
}

before(async () => {
  const r = await runProcess(DOCKER_CLI, ['version', '--format', '{{.Client.Version}}'], {
    env: { PATH: process.env.PATH, HOME: os.tmpdir() },
    timeoutMs: 60_000,
  });
  assert.match(r.stdout.trim(), /^\d+\.\d+/, `${DOCKER_CLI} must be the docker CLI: ${r.stderr}`);
});

describe('contexts this project writes, read by the docker CLI', () => {
  test('listed by docker context ls, field by field and in the same order', async () => {
    const sb = await sandbox();
    const store = sb.store();
    await store.create({ name: 'web-1', endpoint: 'ssh://deploy@web.example:2222', description: 'production web' });
    await store.create({ name: 'web-10', endpoint: 'ssh://web10/run/user/1000/docker.sock' });
    await store.create({ name: 'web-2', endpoint: 'tcp://10.0.0.2:2375', description: 'Grüße aus Köln ✓ 日本 😀' });
    await store.create({ name: 'A.local', endpoint: 'unix:///var/run/docker.sock', description: 'a <b> & "c"' });
    await store.create({ name: 'zz', endpoint: 'ssh://[::1]:2200' });
    await store.use('web-2');
    assertSameListing(await store.list(), await sb.cliList());
  });

  test('inspected by docker context inspect exactly as ours, default and unicode included', async () => {
    const sb = await sandbox();
    const store = sb.store();
    await store.create({
      name: 'uni',
      endpoint: 'ssh://u@h:22/run/docker.sock',
      description: 'héllo ✓ 日本 😀 \u2028 <&>',
    });
    await store.create({ name: 'plain', endpoint: 'tcp://1.2.3.4:2376' });
    await store.create({ name: 'sock', endpoint: 'unix:///tmp/x.sock', description: 'local' });
    // Keys the CLI knows only as extras or untyped endpoints, written as a user might.
    await fs.mkdir(path.join(sb.configDir, 'contexts', 'meta', contextId('extras')), { recursive: true });
    await fs.writeFile(
      path.join(sb.configDir, 'contexts', 'meta', contextId('extras'), 'meta.json'),
      '{"Name":"extras","Metadata":{"GODEBUG":"x509negativeserial=1","Description":"d","n":{"b":[1,2.5],"a":null}},"Endpoints":{"docker":{"Host":"ssh://e","SkipTLSVerify":true},"other":{"k":"v"}}}',
    );
    await store.update('extras', { description: 'changed by us' });
    const names = ['default', 'uni', 'plain', 'sock', 'extras'];
    const cli = await sb.cliInspect(names);
    assert.equal(cli.length, names.length);
    for (let i = 0; i < names.length; i++) {
      assert.deepEqual(await store.inspect(names[i]), cli[i], names[i]);
    }
  });

  test('meta.json bytes are what docker context create and update write', async () => {
    const ours = await sandbox();
    const cli = await sandbox();
    const cases: { name: string; endpoint: string; description?: string }[] = [
      { name: 'remote1', endpoint: 'ssh://deploy@example.com:2222', description: 'my remote' },
      { name: 'nodesc', endpoint: 'ssh://h' },
      { name: 'esc', endpoint: 'ssh://h', description: 'a<b>&c "q" \\ é \x01\b\f\t \u2028 😀' },
      { name: 'sock1', endpoint: 'unix:///var/run/docker.sock' },
      { name: 'tcp1', endpoint: 'tcp://1.2.3.4:2375', description: 'tcp' },
    ];
    for (const c of cases) {
      await ours.store().create(c);
      await cli.docker([
        'context',
        'create',
        c.name,
        '--docker',
        `host=${c.endpoint}`,
        ...(c.description ? ['--description', c.description] : []),
      ]);
      assert.equal(await ours.metaBytes(c.name), await cli.metaBytes(c.name), `create ${c.name}`);
    }
    await ours.store().update('remote1', { description: 'new text' });
    await cli.docker(['context', 'update', 'remote1', '--description', 'new text']);
    assert.equal(await ours.metaBytes('remote1'), await cli.metaBytes('remote1'), 'update --description');
    await ours.store().update('nodesc', { endpoint: 'ssh://other:2200' });
    await cli.docker(['context', 'update', 'nodesc', '--docker', 'host=ssh://other:2200']);
    assert.equal(await ours.metaBytes('nodesc'), await cli.metaBytes('nodesc'), 'update --docker host=');
    const modes = async (sb: Sandbox, name: string): Promise<number[]> => {
      const d = path.join(sb.configDir, 'contexts', 'meta', contextId(name));
      return [(await fs.stat(d)).mode & 0o777, (await fs.stat(path.join(d, 'meta.json'))).mode & 0o777];
    };
    assert.deepEqual(await modes(ours, 'esc'), await modes(cli, 'esc'));
  });

  test('used by docker context use, and what it selected is what we report', async () => {
    const sb = await sandbox();
    const store = sb.store();
    await store.create({ name: 'ours', endpoint: 'ssh://u@h' });
    await sb.docker(['context', 'use', 'ours']);
    assert.deepEqual(await store.current(), { name: 'ours', source: 'config', configured: 'ours' });
    assert.equal((await sb.docker(['context', 'show'])).stdout.trim(), 'ours');
    assertSameListing(await store.list(), await sb.cliList());
  });

  test('our use is honoured by the CLI and keeps config keys the CLI does not know', async () => {
    const sb = await sandbox();
    const store = sb.store();
    await store.create({ name: 'c1', endpoint: 'ssh://a' });
    await store.create({ name: 'c2', endpoint: 'ssh://b' });
    const cfg = path.join(sb.configDir, 'config.json');
    const original =
      '{\n\t"auths": {},\n\t"myExtension": {"setting": [1, 2, 3], "nested": {"deep": true}},\n\t"psFormat": "table {{.ID}}",\n\t"zzUnknown": 12345678901234567890\n}\n';
    await fs.writeFile(cfg, original);
    await store.use('c2');
    assert.equal((await sb.docker(['context', 'show'])).stdout.trim(), 'c2');
    const text = await fs.readFile(cfg, 'utf8');
    assert.equal(
      text,
      original.replace(
        '"zzUnknown": 12345678901234567890',
        '"zzUnknown": 12345678901234567890,\n\t"currentContext": "c2"',
      ),
    );
    await store.use('default');
    assert.equal(await fs.readFile(cfg, 'utf8'), original);
    assert.equal((await sb.docker(['context', 'show'])).stdout.trim(), 'default');
  });

  test('our forced removal of the current context: the CLI falls back to default and no longer lists it', async () => {
    const sb = await sandbox();
    const store = sb.store();
    await store.create({ name: 'gone', endpoint: 'ssh://a' });
    await store.create({ name: 'kept', endpoint: 'ssh://b' });
    await store.use('gone');
    assert.deepEqual(await store.remove('gone', { force: true }), { wasCurrent: true });
    assert.equal((await sb.docker(['context', 'show'])).stdout.trim(), 'default');
    assertSameListing(await store.list(), await sb.cliList());
    assert.deepEqual(
      (await sb.cliList()).map((r) => r.Name),
      ['default', 'kept'],
    );
  });
});

describe('contexts the docker CLI writes, read by this project', () => {
  test('create, use and rm by the CLI are read correctly, field by field', async () => {
    const sb = await sandbox();
    const { cert, key } = await makeCert(sb.home);
    await sb.docker([
      'context',
      'create',
      'cli-ssh',
      '--docker',
      'host=ssh://deploy@example.com:2222',
      '--description',
      'made by the CLI ✓',
    ]);
    await sb.docker([
      'context',
      'create',
      'cli-tls',
      '--docker',
      `host=tcp://10.0.0.9:2376,ca=${cert},cert=${cert},key=${key}`,
    ]);
    await sb.docker([
      'context',
      'create',
      'cli-skip',
      '--docker',
      `host=tcp://10.0.0.9:2376,ca=${cert},skip-tls-verify=true`,
    ]);
    await sb.docker(['context', 'create', 'cli-sock', '--docker', 'host=unix:///run/user/1000/docker.sock']);
    await sb.docker(['context', 'use', 'cli-tls']);
    const store = sb.store();
    assertSameListing(await store.list(), await sb.cliList());
    const list = await store.list();
    const tls = list.find((c) => c.name === 'cli-tls');
    const skip = list.find((c) => c.name === 'cli-skip');
    const ssh = list.find((c) => c.name === 'cli-ssh');
    assert.deepEqual([tls?.hasTls, tls?.skipTLSVerify, tls?.current], [true, false, true]);
    assert.deepEqual([skip?.hasTls, skip?.skipTLSVerify], [true, true]);
    assert.deepEqual(
      [ssh?.hasTls, ssh?.description, ssh?.endpoint],
      [false, 'made by the CLI ✓', 'ssh://deploy@example.com:2222'],
    );
    assert.deepEqual(await store.current(), { name: 'cli-tls', source: 'config', configured: 'cli-tls' });
    const names = ['cli-ssh', 'cli-tls', 'cli-skip', 'cli-sock', 'default'];
    const cli = await sb.cliInspect(names);
    for (let i = 0; i < names.length; i++) {
      assert.deepEqual(await store.inspect(names[i]), cli[i], names[i]);
    }

    await sb.docker(['context', 'rm', 'cli-sock']);
    assertSameListing(await store.list(), await sb.cliList());
    await sb.docker(['context', 'rm', '-f', 'cli-tls']);
    assert.deepEqual(await store.current(), { name: 'default', source: 'default' });
    assertSameListing(await store.list(), await sb.cliList());
    await assert.rejects(fs.access(path.join(sb.configDir, 'contexts', 'tls', contextId('cli-tls'))));
    await sb.docker(['context', 'use', 'cli-ssh']);
    assert.deepEqual(await store.current(), { name: 'cli-ssh', source: 'config', configured: 'cli-ssh' });
    await sb.docker(['context', 'use', 'default']);
    assert.deepEqual(await store.current(), { name: 'default', source: 'default' });
  });

  test('our update of a CLI context is still read by the CLI and keeps its TLS material', async () => {
    const sb = await sandbox();
    const { cert, key } = await makeCert(sb.home);
    await sb.docker([
      'context',
      'create',
      'tlsc',
      '--docker',
      `host=tcp://10.0.0.9:2376,ca=${cert},cert=${cert},key=${key}`,
      '--description',
      'before',
    ]);
    const store = sb.store();
    await store.update('tlsc', { description: 'after', endpoint: 'tcp://10.0.0.10:2376' });
    const [cli] = (await sb.cliInspect(['tlsc'])) as { Metadata: unknown; Endpoints: unknown; TLSMaterial: unknown }[];
    assert.deepEqual(cli.Metadata, { Description: 'after' });
    assert.deepEqual(cli.Endpoints, { docker: { Host: 'tcp://10.0.0.10:2376', SkipTLSVerify: false } });
    assert.deepEqual(cli.TLSMaterial, { docker: ['ca.pem', 'cert.pem', 'key.pem'] });
    assert.deepEqual(await store.inspect('tlsc'), cli);
  });
});

describe('environment precedence agrees with docker context show', () => {
  test('DOCKER_HOST × DOCKER_CONTEXT × config.json', async () => {
    const sb = await sandbox();
    const setup = sb.store();
    await setup.create({ name: 'c1', endpoint: 'ssh://one' });
    await setup.create({ name: 'c2', endpoint: 'ssh://two' });
    const cfg = path.join(sb.configDir, 'config.json');
    const hosts = [undefined, '', 'tcp://10.9.8.7:2375', ' '];
    const contexts = [undefined, '', 'c2', 'ghost'];
    const configs: (string | undefined)[] = [
      undefined,
      '{"currentContext":"c1"}',
      '{"currentContext":"c1",',
      '{"currentContext":"ghost2","CurrentContext":"c2"}',
    ];
    let compared = 0;
    for (const config of configs) {
      if (config === undefined) {
        await fs.rm(cfg, { force: true });
      } else {
        await fs.writeFile(cfg, config);
      }
      for (const DOCKER_HOST of hosts) {
        for (const DOCKER_CONTEXT of contexts) {
          const env: NodeJS.ProcessEnv = {};
          if (DOCKER_HOST !== undefined) {
            env.DOCKER_HOST = DOCKER_HOST;
          }
          if (DOCKER_CONTEXT !== undefined) {
            env.DOCKER_CONTEXT = DOCKER_CONTEXT;
          }
          const label = `config=${config} DOCKER_HOST=${JSON.stringify(DOCKER_HOST)} DOCKER_CONTEXT=${JSON.stringify(DOCKER_CONTEXT)}`;
          const shown = (await sb.docker(['context', 'show'], { env })).stdout.trim();
          const ours = await sb.store(env).current();
          assert.equal(ours.name, shown, label);
          if (DOCKER_HOST === undefined && DOCKER_CONTEXT === undefined) {
            const cliCurrent = (await sb.cliList(env)).filter((r) => r.Current).map((r) => r.Name);
            const ourCurrent = (await sb.store(env).list()).filter((c) => c.current).map((c) => c.name);
            assert.deepEqual(ourCurrent, cliCurrent, label);
          }
          compared++;
        }
      }
    }
    assert.equal(compared, configs.length * hosts.length * contexts.length);
  });

  test("the default context's endpoint for DOCKER_HOST values, as docker context inspect shows it", async () => {
    const sb = await sandbox();
    for (const DOCKER_HOST of [
      'tcp://1.2.3.4',
      '1.2.3.4',
      ':2375',
      'unix://',
      'unix:///x.sock',
      'ssh://u@h',
      ' tcp://h ',
      'tcp://h:2375/',
      '[::1]:',
      'npipe://',
    ]) {
      const env = { DOCKER_HOST };
      const [cli] = await sb.cliInspect(['default'], env);
      assert.deepEqual(await sb.store(env).inspect('default'), cli, DOCKER_HOST);
      const cliDefault = (await sb.cliList(env)).find((r) => r.Name === 'default');
      const ourDefault = (await sb.store(env).list()).find((c) => c.name === 'default');
      assert.equal(ourDefault?.endpoint, cliDefault?.DockerEndpoint, DOCKER_HOST);
    }
  });

  test("the default context's TLS from DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH, as docker context inspect shows it", async () => {
    const sb = await sandbox();
    const certs = path.join(sb.home, 'certs');
    await fs.mkdir(certs);
    const { cert, key } = await makeCert(sb.home);
    const only = async (files: Record<string, string>): Promise<void> => {
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) {
        await fs.rm(path.join(certs, f), { force: true });
        await fs.rm(path.join(sb.configDir, f), { force: true });
      }
      for (const [name, from] of Object.entries(files)) {
        await fs.copyFile(
          from,
          name.startsWith('cfg/') ? path.join(sb.configDir, name.slice(4)) : path.join(certs, name),
        );
      }
    };
    const all = { 'ca.pem': cert, 'cert.pem': cert, 'key.pem': key };
    const cases: [string, Record<string, string>, NodeJS.ProcessEnv][] = [
      ['verify, all three', all, { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs }],
      [
        'DOCKER_TLS_VERIFY=0 is non-empty',
        all,
        { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: certs },
      ],
      ['tls without verify', all, { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1', DOCKER_CERT_PATH: certs }],
      ['no cert.pem', { 'ca.pem': cert, 'key.pem': key }, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs }],
      [
        'no cert path: the config folder',
        { 'cfg/ca.pem': cert },
        { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' },
      ],
      [
        'no ca.pem',
        { 'cert.pem': cert, 'key.pem': key },
        { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs },
      ],
      ['cert path without TLS asked for', all, { DOCKER_HOST: 'tcp://h:2375', DOCKER_CERT_PATH: certs }],
    ];
    for (const [what, files, env] of cases) {
      await only(files);
      const r = await sb.docker(['context', 'inspect', 'default'], { env, allowFail: true });
      const ours = await sb.store(env).get('default');
      if (r.code !== 0) {
        // The CLI cannot use default here (`open …/ca.pem: no such file`): we refuse it with a reason.
        assert.equal(ours.error?.reason, 'tlsMaterialUnreadable', `${what}: CLI said ${r.stderr}`);
        continue;
      }
      const [cli] = JSON.parse(r.stdout) as { TLSMaterial: Record<string, string[]> }[];
      // The CLI lists the default context's files in Go's map order, which varies between runs.
      for (const files of Object.values(cli.TLSMaterial)) {
        files.sort();
      }
      assert.deepEqual(await sb.store(env).inspect('default'), cli, what);
      assert.equal(ours.error, undefined, what);
      assert.equal(ours.hasTls, Object.keys(cli.TLSMaterial).length > 0, what);
    }
  });
});
