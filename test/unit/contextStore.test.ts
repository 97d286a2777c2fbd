import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fsNode from 'node:fs';
import { describe, mock, test } from 'node:test';
import {
  ContextStore,
  type DockerContextSummary,
  contextId,
  dockerConfigDir,
  validateContextName,
} from '../../src/core/contexts/contextStore';
import { interpretMeta, summarizeCanonicalMeta } from '../../src/core/contexts/contextMeta';
import { parseJsonStrict } from '../../src/core/contexts/jsonDocument';
import { naturalCompare, naturalLess } from '../../src/core/common/naturalCompare';
import { CoreError } from '../../src/core/common/errors';
import { rejectsWith } from '../support/rejectsWith';
import { tempDirs } from '../support/tempDirs';

const tempDir = tempDirs('rdc-store-');

/** A store on a fresh temp DOCKER_CONFIG, with no DOCKER_HOST/DOCKER_CONTEXT unless given. */
async function freshStore(env: NodeJS.ProcessEnv = {}): Promise<{ dir: string; store: ContextStore }> {
  const dir = await tempDir();
  return { dir, store: new ContextStore({ configDir: dir, env, platform: 'linux' }) };
}

/** Writes a meta.json by hand, as a user or another tool might have left it. */
async function plantMeta(configDir: string, dirId: string, text: string): Promise<string> {
  const d = path.join(configDir, 'contexts', 'meta', dirId);
  await fs.mkdir(d, { recursive: true });
  const f = path.join(d, 'meta.json');
  await fs.writeFile(f, text);
  return f;
}

function metaText(name: string, host: string, description = ''): string {
  const md = description ? `{"Description":${JSON.stringify(description)}}` : '{}';
  return `{"Name":${JSON.stringify(name)},"Metadata":${md},"Endpoints":{"docker":{"Host":${JSON.stringify(host)},"SkipTLSVerify":false}}}`;
}

async function mode(p: string): Promise<number> {
  return (await fs.stat(p)).mode & 0o777;
}

function byName(list: DockerContextSummary[], name: string): DockerContextSummary {
  const found = list.find((c) => c.name === name);
  assert.ok(found, `${name} listed in ${list.map((c) => c.name).join(', ')}`);
  return found;
}

describe('dockerConfigDir', () => {
  test('DOCKER_CONFIG wins when set and non-empty, else <home>/.docker', () => {
    assert.equal(dockerConfigDir({ DOCKER_CONFIG: '/x/y' }, '/home/u'), '/x/y');
    assert.equal(dockerConfigDir({ DOCKER_CONFIG: '' }, '/home/u'), path.join('/home/u', '.docker'));
    assert.equal(dockerConfigDir({}, '/home/u'), path.join('/home/u', '.docker'));
  });
  test('the store puts every file under it', () => {
    const s = new ContextStore({ configDir: '/cfg' });
    assert.equal(s.configFile, path.join('/cfg', 'config.json'));
    assert.equal(s.contextsDir, path.join('/cfg', 'contexts'));
    assert.equal(s.metaDir, path.join('/cfg', 'contexts', 'meta'));
    assert.equal(s.tlsDir, path.join('/cfg', 'contexts', 'tls'));
  });
});

describe('context names', () => {
  test('valid names', () => {
    for (const n of ['ab', 'a1', '1a', 'remote.host_1+dev-2', 'DEFAULT', 'defaults']) {
      validateContextName(n);
    }
  });
  test('invalid names quote the CLI rule', () => {
    for (const n of ['a', '-ab', '.ab', 'a b', 'ab/c', 'täst', 'ab\n', 'ab:c']) {
      assert.throws(
        () => validateContextName(n),
        (e: unknown) =>
          CoreError.is(e, 'contextNameInvalid') &&
          e.message ===
            `context name "${n}" is invalid, names are validated against regexp "^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$"`,
        n,
      );
    }
    assert.throws(
      () => validateContextName(''),
      (e: unknown) => CoreError.is(e, 'contextNameInvalid') && e.message === 'context name cannot be empty',
    );
  });
  test('default is reserved', () => {
    assert.throws(
      () => validateContextName('default'),
      (e: unknown) => CoreError.is(e, 'contextNameReserved') && e.message === '"default" is a reserved context name',
    );
  });
  test('contextId is the lowercase hex SHA-256 of the name', () => {
    // printf remote1 | sha256sum
    assert.equal(contextId('remote1'), 'e0de706a7deed95a1dbbd5165af012b68bed0d6d5b342ecee8522eaed74a2352');
  });
});

describe('natural order (sortorder.NaturalLess)', () => {
  test('the order docker 28.2 printed for these names', () => {
    const cliOrder = ['0x', 'A2', 'Zeta', 'a1', 'a2', 'a10', 'de', 'default', 'defaulty', 'dfault', 'dz', 'zz'];
    const shuffled = ['zz', 'a10', 'default', 'A2', 'dz', 'a1', 'Zeta', 'defaulty', '0x', 'de', 'dfault', 'a2'];
    assert.deepEqual(shuffled.sort(naturalCompare), cliOrder);
  });
  test('digit runs compare numerically; fewer leading zeros first; digits before other characters', () => {
    assert.ok(naturalLess('a2', 'a10'));
    assert.ok(naturalLess('a2', 'a02'));
    assert.ok(naturalLess('a02', 'a3'));
    assert.ok(naturalLess('a1b', 'a01')); // the leading-zero tie decides at once
    assert.ok(naturalLess('ab1', 'abc1'));
    assert.ok(naturalLess('x', 'x1'));
    assert.ok(naturalLess('x99999999999999999999', 'x100000000000000000000'));
    assert.ok(!naturalLess('a10', 'a10'));
    assert.equal(naturalCompare('a10', 'a10'), 0);
  });
  test('other characters compare by UTF-8 bytes, not UTF-16 units', () => {
    assert.ok(naturalLess('z', 'é'));
    assert.ok(naturalLess('é', '😀'));
    assert.ok(naturalLess('\uff5e', '😀')); // UTF-16 order would say the opposite
  });
});

describe('read (one reading for a view)', () => {
  test('lists and resolves the current context from one read of config.json, agreeing with list() and current()', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'web', endpoint: 'ssh://u@web' });
    await store.use('web');
    const configFile = path.join(dir, 'config.json');
    const opens = mock.method(fsNode, 'openSync');
    let reading;
    try {
      reading = await store.read();
    } finally {
      opens.mock.restore();
    }
    const configOpens = opens.mock.calls.filter((c) => c.arguments[0] === configFile).length;
    assert.equal(configOpens, 1, 'config.json is read once');
    assert.equal(reading.listError, undefined);
    assert.deepEqual(reading.current, await store.current());
    assert.deepEqual(reading.contexts, await store.list());
    assert.deepEqual(
      reading.contexts.filter((c) => c.current).map((c) => c.name),
      ['web'],
    );
  });

  test('a listing that fails as a whole keeps the current context and says why', async () => {
    const { dir, store } = await freshStore({ DOCKER_CONTEXT: 'web' });
    await fs.mkdir(path.join(dir, 'contexts'), { recursive: true });
    // A symlink to itself: readdir fails with ELOOP, even for root.
    await fs.symlink('meta', path.join(dir, 'contexts', 'meta'));
    const reading = await store.read();
    assert.deepEqual(reading.contexts, []);
    assert.equal(reading.current.name, 'web');
    assert.ok(
      reading.listError instanceof CoreError && reading.listError.reason === 'fileUnreadable',
      String(reading.listError),
    );
    await rejectsWith(store.list(), 'fileUnreadable');
  });
});

describe('list', () => {
  test('an empty store lists only default, current', async () => {
    const { store } = await freshStore();
    assert.deepEqual(await store.list(), [
      {
        name: 'default',
        description: 'Current DOCKER_HOST based configuration',
        endpoint: 'unix:///var/run/docker.sock',
        skipTLSVerify: false,
        isDefault: true,
        hasTls: false,
        current: true,
      },
    ]);
  });

  test('natural order with default among the others, where the CLI puts it', async () => {
    const { store } = await freshStore();
    for (const name of ['zz', 'a10', 'dz', 'a2', 'de', 'A2', 'a1']) {
      await store.create({ name, endpoint: `ssh://u@${name}` });
    }
    const names = (await store.list()).map((c) => c.name);
    assert.deepEqual(names, ['A2', 'a1', 'a2', 'a10', 'de', 'default', 'dz', 'zz']);
  });

  test('fields of a context, and hasTls from contexts/tls/<id>/docker', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'web', endpoint: 'ssh://deploy@web.example:2222', description: 'prod web' });
    await store.create({ name: 'secure', endpoint: 'tcp://10.0.0.5:2376' });
    await fs.mkdir(path.join(dir, 'contexts', 'tls', contextId('secure'), 'docker'), { recursive: true });
    const list = await store.list();
    assert.deepEqual(byName(list, 'web'), {
      name: 'web',
      description: 'prod web',
      endpoint: 'ssh://deploy@web.example:2222',
      skipTLSVerify: false,
      isDefault: false,
      hasTls: false,
      metaPath: path.join(dir, 'contexts', 'meta', contextId('web'), 'meta.json'),
      current: false,
    });
    assert.equal(byName(list, 'secure').hasTls, true);
  });

  test('walks meta/ recursively like the CLI; only directories with a meta.json file count', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'top', endpoint: 'ssh://h' });
    await plantMeta(dir, 'x/sub', metaText('nested', 'ssh://n'));
    await fs.mkdir(path.join(dir, 'contexts', 'meta', 'emptydir'), { recursive: true });
    await fs.mkdir(path.join(dir, 'contexts', 'meta', 'dirmeta', 'meta.json'), { recursive: true });
    // A symlinked directory is not walked (Go's DirEntry.IsDir is false for it).
    await plantMeta(dir, '../elsewhere', metaText('linked', 'ssh://l'));
    await fs.symlink(path.join(dir, 'contexts', 'elsewhere'), path.join(dir, 'contexts', 'meta', 'link'));
    const list = await store.list();
    assert.deepEqual(
      list.map((c) => c.name),
      ['default', 'nested', 'top'],
    );
    const nested = byName(list, 'nested');
    assert.equal(nested.endpoint, 'ssh://n');
    // docker finds contexts by sha256(name): this one is listed but unusable, and we say so.
    assert.equal(nested.error?.reason, 'contextMetaCorrupt');
    assert.equal(nested.metaPath, path.join(dir, 'contexts', 'meta', 'x', 'sub', 'meta.json'));
    assert.equal(byName(list, 'top').error, undefined);
  });

  test('a corrupt meta.json is one broken entry named by its directory id; the rest list normally', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'good1', endpoint: 'ssh://a' });
    await store.create({ name: 'good2', endpoint: 'ssh://b' });
    const badId = contextId('lost');
    await plantMeta(dir, badId, '{"Name":"lost","Metadata":{');
    const list = await store.list();
    assert.deepEqual(
      list.map((c) => c.name),
      ['default', badId, 'good1', 'good2'].sort(naturalCompare),
    );
    const bad = byName(list, badId);
    assert.equal(bad.error?.reason, 'contextMetaCorrupt');
    assert.match(bad.error?.message ?? '', /not valid JSON/);
    assert.equal(bad.endpoint, '');
    assert.equal(bad.metaPath, path.join(dir, 'contexts', 'meta', badId, 'meta.json'));
    assert.equal(byName(list, 'good1').error, undefined);
  });

  test("a broken meta.json in the current context's directory is listed under that name", async () => {
    const { dir, store } = await freshStore({ DOCKER_CONTEXT: 'mine' });
    await plantMeta(dir, contextId('mine'), 'not json');
    const list = await store.list();
    assert.deepEqual(
      list.map((c) => [c.name, c.current, c.error?.reason]),
      [
        ['default', false, undefined],
        ['mine', true, 'contextMetaCorrupt'],
      ],
    );
  });

  test('valid JSON the CLI cannot load is broken too, named by its Name when it has one', async () => {
    const { dir, store } = await freshStore();
    await plantMeta(
      dir,
      contextId('strmeta'),
      '{"Name":"strmeta","Metadata":"text","Endpoints":{"docker":{"Host":"ssh://a"}}}',
    );
    await plantMeta(dir, contextId('badhost'), '{"Name":"badhost","Endpoints":{"docker":{"Host":5}}}');
    await plantMeta(
      dir,
      contextId('baddesc'),
      '{"Name":"baddesc","Metadata":{"Description":1},"Endpoints":{"docker":{"Host":"ssh://a"}}}',
    );
    await plantMeta(dir, contextId('badep'), '{"Name":"badep","Endpoints":{"docker":{"Host":"ssh://a"},"other":7}}');
    await plantMeta(dir, contextId('array'), '["Name"]');
    await plantMeta(dir, contextId('noname'), '{"Endpoints":{"docker":{"Host":"ssh://a"}}}');
    await plantMeta(dir, contextId('noep'), '{"Name":"noep","Metadata":{}}');
    const list = await store.list();
    for (const name of ['strmeta', 'badhost', 'baddesc', 'badep']) {
      assert.equal(byName(list, name).error?.reason, 'contextMetaCorrupt', name);
    }
    assert.equal(byName(list, contextId('array')).error?.reason, 'contextMetaCorrupt');
    assert.match(byName(list, contextId('noname')).error?.message ?? '', /no "Name"/);
    assert.equal(byName(list, contextId('noname')).endpoint, 'ssh://a');
    // The CLI lists this one with the error "cannot find docker endpoint in context".
    assert.deepEqual(byName(list, 'noep').error, {
      reason: 'contextMetaCorrupt',
      message: 'cannot find docker endpoint in context',
    });
    assert.equal(list.length, 8);
  });

  test('field names match case-insensitively, as Go decodes them; the last duplicate wins', async () => {
    const { dir, store } = await freshStore();
    await plantMeta(
      dir,
      contextId('lower'),
      '{"name":"lower","metadata":{"Description":"d"},"endpoints":{"docker":{"host":"ssh://old","HOST":"ssh://a","skiptlsverify":true}}}',
    );
    const c = byName(await store.list(), 'lower');
    assert.deepEqual([c.description, c.endpoint, c.skipTLSVerify, c.error], ['d', 'ssh://a', true, undefined]);
  });

  test('a FIFO as meta.json is reported unreadable instead of hanging the listing', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'fine', endpoint: 'ssh://a' });
    const d = path.join(dir, 'contexts', 'meta', contextId('piped'));
    await fs.mkdir(d, { recursive: true });
    execFileSync('mkfifo', [path.join(d, 'meta.json')]);
    const list = await store.list();
    const piped = byName(list, contextId('piped'));
    assert.equal(piped.error?.reason, 'contextMetaUnreadable');
    assert.match(piped.error?.message ?? '', /not a regular file/);
    assert.equal(byName(list, 'fine').error, undefined);
  });

  test('a meta.json linked to an endless or empty device is unreadable, not a hang or a crash', async () => {
    const { dir, store } = await freshStore();
    for (const [name, target] of [
      ['zero', '/dev/zero'],
      ['null', '/dev/null'],
    ]) {
      const d = path.join(dir, 'contexts', 'meta', contextId(name));
      await fs.mkdir(d, { recursive: true });
      await fs.symlink(target, path.join(d, 'meta.json'));
    }
    const list = await store.list();
    assert.match(byName(list, contextId('zero')).error?.message ?? '', /larger than/);
    assert.match(byName(list, contextId('null')).error?.message ?? '', /not a regular file/);
    assert.equal(byName(list, contextId('zero')).error?.reason, 'contextMetaUnreadable');
  });

  test('a meta.json without read permission is reported unreadable', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'open', endpoint: 'ssh://a' });
    await store.create({ name: 'closed', endpoint: 'ssh://b' });
    const closed = path.join(dir, 'contexts', 'meta', contextId('closed'), 'meta.json');
    await fs.chmod(closed, 0o000);
    let list: Pick<DockerContextSummary, 'name' | 'error'>[];
    if (process.getuid?.() === 0) {
      // root reads anything: list as an unprivileged user, in a child process, for a real EACCES.
      for (let d = dir; d !== path.dirname(d) && d.startsWith(os.tmpdir() + path.sep); d = path.dirname(d)) {
        await fs.chmod(d, 0o755);
      }
      await fs.chmod(path.join(dir, 'contexts', 'meta', contextId('open'), 'meta.json'), 0o644);
      const module = path.resolve(__dirname, '../../src/core/contexts/contextStore.js');
      const script = `const { ContextStore } = require(${JSON.stringify(module)});
        new ContextStore({ configDir: ${JSON.stringify(dir)}, env: {} }).list().then((l) => process.stdout.write(JSON.stringify(l)));`;
      const r = spawnSync(process.execPath, ['-e', script], {
        uid: 65534,
        gid: 65534,
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 0, r.stderr);
      list = JSON.parse(r.stdout) as DockerContextSummary[];
    } else {
      list = await store.list();
    }
    const closedEntry = list.find((c) => c.name === contextId('closed') || c.name === 'closed');
    assert.equal(closedEntry?.error?.reason, 'contextMetaUnreadable');
    assert.match(closedEntry?.error?.message ?? '', /EACCES/);
    assert.equal(list.find((c) => c.name === 'open')?.error, undefined);
  });

  test('the current context is marked; a current context that does not exist is listed with contextNotFound, like docker context ls', async () => {
    const { dir } = await freshStore();
    const s1 = new ContextStore({ configDir: dir, env: {} });
    await s1.create({ name: 'one', endpoint: 'ssh://a' });
    await s1.use('one');
    assert.deepEqual(
      (await s1.list()).map((c) => [c.name, c.current]),
      [
        ['default', false],
        ['one', true],
      ],
    );
    const s2 = new ContextStore({ configDir: dir, env: { DOCKER_CONTEXT: 'ghost' } });
    const list = await s2.list();
    assert.deepEqual(
      list.map((c) => [c.name, c.current, c.error?.reason]),
      [
        ['default', false, undefined],
        ['ghost', true, 'contextNotFound'],
        ['one', false, undefined],
      ],
    );
  });

  test('with DOCKER_HOST, default is current and shows the normalised DOCKER_HOST', async () => {
    const { store } = await freshStore({ DOCKER_HOST: 'tcp://10.1.2.3' });
    await store.create({ name: 'one', endpoint: 'ssh://a' });
    await store.use('one');
    const def = byName(await store.list(), 'default');
    assert.equal(def.current, true);
    assert.equal(def.endpoint, 'tcp://10.1.2.3:2375');
    assert.equal(byName(await store.list(), 'one').current, false);
  });

  test('an invalid DOCKER_HOST marks default with the reason', async () => {
    const { store } = await freshStore({ DOCKER_HOST: 'http://h' });
    const def = byName(await store.list(), 'default');
    assert.equal(def.error?.reason, 'endpointInvalid');
    assert.equal(def.endpoint, 'http://h');
  });

  test('each call reads the files again', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'one', endpoint: 'ssh://a' });
    assert.equal(byName(await store.list(), 'one').endpoint, 'ssh://a');
    await fs.writeFile(
      path.join(dir, 'contexts', 'meta', contextId('one'), 'meta.json'),
      metaText('one', 'ssh://changed'),
    );
    assert.equal(byName(await store.list(), 'one').endpoint, 'ssh://changed');
  });
});

describe('current', () => {
  async function storeWithConfig(env: NodeJS.ProcessEnv, config?: string): Promise<ContextStore> {
    const { dir } = await freshStore();
    if (config !== undefined) {
      await fs.writeFile(path.join(dir, 'config.json'), config);
    }
    return new ContextStore({ configDir: dir, env });
  }

  test('precedence: DOCKER_HOST forces default, then DOCKER_CONTEXT, then config, then default', async () => {
    const cfg = '{"currentContext":"fromcfg"}';
    assert.deepEqual(
      await (await storeWithConfig({ DOCKER_HOST: 'tcp://h', DOCKER_CONTEXT: 'fromenv' }, cfg)).current(),
      {
        name: 'default',
        source: 'DOCKER_HOST',
        configured: 'fromcfg',
      },
    );
    assert.deepEqual(await (await storeWithConfig({ DOCKER_CONTEXT: 'fromenv' }, cfg)).current(), {
      name: 'fromenv',
      source: 'DOCKER_CONTEXT',
      configured: 'fromcfg',
    });
    assert.deepEqual(await (await storeWithConfig({}, cfg)).current(), {
      name: 'fromcfg',
      source: 'config',
      configured: 'fromcfg',
    });
    assert.deepEqual(await (await storeWithConfig({})).current(), { name: 'default', source: 'default' });
    assert.deepEqual(await (await storeWithConfig({}, '{"auths":{}}')).current(), {
      name: 'default',
      source: 'default',
    });
  });

  test('empty DOCKER_HOST / DOCKER_CONTEXT count as unset', async () => {
    assert.deepEqual(
      await (await storeWithConfig({ DOCKER_HOST: '', DOCKER_CONTEXT: '' }, '{"currentContext":"c1"}')).current(),
      {
        name: 'c1',
        source: 'config',
        configured: 'c1',
      },
    );
  });

  test('config key matched case-insensitively, last one wins, null ignored (Go decoding)', async () => {
    assert.equal(
      (await (await storeWithConfig({}, '{"currentContext":"a","CURRENTCONTEXT":"b"}')).current()).name,
      'b',
    );
    assert.equal(
      (await (await storeWithConfig({}, '{"CurrentContext":"a","currentContext":null}')).current()).name,
      'a',
    );
    assert.equal(
      (await (await storeWithConfig({}, '{"currentContext":"a","currentcontext":""}')).current()).name,
      'default',
    );
  });

  test('an unparsable config.json does not throw: default, with the problem visible', async () => {
    for (const text of ['{bad', '[]', '\ufeff{"currentContext":"a"}']) {
      const cur = await (await storeWithConfig({}, text)).current();
      assert.equal(cur.name, 'default', text);
      assert.equal(cur.source, 'default');
      assert.equal(cur.configError?.reason, 'dockerConfigUnparsable', text);
      assert.ok(cur.configError?.file.endsWith('config.json'));
    }
  });

  test('a wrongly typed currentContext is ignored with a warning, like the CLI', async () => {
    const cur = await (await storeWithConfig({}, '{"currentContext":5}')).current();
    assert.equal(cur.name, 'default');
    assert.equal(cur.configError?.reason, 'dockerConfigUnparsable');
  });

  test('empty and null config files are an empty config', async () => {
    for (const text of ['', '  \n', 'null']) {
      assert.deepEqual(
        await (await storeWithConfig({}, text)).current(),
        { name: 'default', source: 'default' },
        JSON.stringify(text),
      );
    }
  });

  test('text after the JSON object: the CLI reads the object, we flag the file', async () => {
    const cur = await (await storeWithConfig({}, '{"currentContext":"a"} trailing')).current();
    assert.equal(cur.name, 'a');
    assert.equal(cur.configError?.reason, 'dockerConfigUnparsable');
  });

  test('an unreadable config.json (a directory) is reported, not thrown', async () => {
    const { dir, store } = await freshStore();
    await fs.mkdir(path.join(dir, 'config.json'));
    const cur = await store.current();
    assert.equal(cur.name, 'default');
    assert.equal(cur.configError?.reason, 'fileUnreadable');
  });
});

describe('get', () => {
  test('a context, default, and contextNotFound', async () => {
    const { store } = await freshStore();
    await store.create({ name: 'one', endpoint: 'ssh://a', description: 'd' });
    assert.equal((await store.get('one')).description, 'd');
    assert.equal((await store.get('default')).isDefault, true);
    await rejectsWith(store.get('nope'), 'contextNotFound');
  });
  test('a broken context is reachable under the id it is listed with', async () => {
    const { dir, store } = await freshStore();
    const id = contextId('gone');
    await plantMeta(dir, id, '{');
    assert.equal((await store.get(id)).error?.reason, 'contextMetaCorrupt');
  });
});

describe('create', () => {
  test('writes exactly what docker context create writes, in sha256(name), modes 0755/0644', async () => {
    const { dir, store } = await freshStore();
    const summary = await store.create({
      name: 'remote1',
      endpoint: 'ssh://deploy@example.com:2222',
      description: 'my remote',
    });
    const metaDir = path.join(
      dir,
      'contexts',
      'meta',
      'e0de706a7deed95a1dbbd5165af012b68bed0d6d5b342ecee8522eaed74a2352',
    );
    const file = path.join(metaDir, 'meta.json');
    // The bytes docker 28.2.2 wrote for the same command (reference §1.2).
    assert.equal(
      await fs.readFile(file, 'utf8'),
      '{"Name":"remote1","Metadata":{"Description":"my remote"},"Endpoints":{"docker":{"Host":"ssh://deploy@example.com:2222","SkipTLSVerify":false}}}',
    );
    assert.equal(await mode(metaDir), 0o755 & ~process.umask());
    assert.equal(await mode(file), 0o644);
    assert.deepEqual(await fs.readdir(metaDir), ['meta.json']); // no temp file left
    assert.deepEqual(await fs.readdir(path.join(dir, 'contexts')), ['meta']); // no tls dir for ssh
    assert.equal(summary.name, 'remote1');
    assert.equal(summary.endpoint, 'ssh://deploy@example.com:2222');
  });

  test('no description is written as "Metadata":{}', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'plain', endpoint: 'unix:///var/run/docker.sock' });
    assert.equal(
      await fs.readFile(path.join(dir, 'contexts', 'meta', contextId('plain'), 'meta.json'), 'utf8'),
      '{"Name":"plain","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///var/run/docker.sock","SkipTLSVerify":false}}}',
    );
  });

  test('descriptions are escaped like Go (bytes docker 28.2.2 wrote for the same text)', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'esc1', endpoint: 'ssh://a', description: 'a<b>&c "q" \\ é' });
    await store.create({ name: 'esc2', endpoint: 'ssh://a', description: 'a\x01b\bc\fd\te\x7ff\u2028g' });
    const read = (n: string): Promise<string> =>
      fs.readFile(path.join(dir, 'contexts', 'meta', contextId(n), 'meta.json'), 'utf8');
    assert.equal(
      await read('esc1'),
      '{"Name":"esc1","Metadata":{"Description":"a\\u003cb\\u003e\\u0026c \\"q\\" \\\\ é"},"Endpoints":{"docker":{"Host":"ssh://a","SkipTLSVerify":false}}}',
    );
    assert.equal(
      await read('esc2'),
      '{"Name":"esc2","Metadata":{"Description":"a\\u0001b\\bc\\fd\\te\x7ff\\u2028g"},"Endpoints":{"docker":{"Host":"ssh://a","SkipTLSVerify":false}}}',
    );
    assert.equal((await store.get('esc2')).description, 'a\x01b\bc\fd\te\x7ff\u2028g');
  });

  test('duplicates are refused and the existing file is untouched, even a broken one', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'twice', endpoint: 'ssh://a' });
    assert.equal(
      (await rejectsWith(store.create({ name: 'twice', endpoint: 'ssh://b' }), 'contextExists')).message,
      'context "twice" already exists',
    );
    assert.equal((await store.get('twice')).endpoint, 'ssh://a');
    const f = await plantMeta(dir, contextId('broken'), '{oops');
    await rejectsWith(store.create({ name: 'broken', endpoint: 'ssh://b' }), 'contextExists');
    assert.equal(await fs.readFile(f, 'utf8'), '{oops');
  });

  test('bad names and endpoints are refused before anything is written', async () => {
    const { dir, store } = await freshStore();
    await rejectsWith(store.create({ name: 'x', endpoint: 'ssh://a' }), 'contextNameInvalid');
    await rejectsWith(store.create({ name: 'default', endpoint: 'ssh://a' }), 'contextNameReserved');
    assert.equal(
      (await rejectsWith(store.create({ name: 'okname', endpoint: 'ssh://u:pw@h' }), 'endpointInvalid')).details.rule,
      'password',
    );
    assert.equal(
      (await rejectsWith(store.create({ name: 'okname', endpoint: 'ssh://h?x=1' }), 'endpointInvalid')).details.rule,
      'query',
    );
    await assert.rejects(fs.access(path.join(dir, 'contexts')));
  });
});

describe('update', () => {
  const rich =
    '{"Name":"rich","Metadata":{"zeta":1,"GODEBUG":"x509negativeserial=1","Description":"old","alpha":{"b":2,"a":[1,2.50,12345678901234567890]}},' +
    '"Endpoints":{"kube":{"z":1,"a":2},"docker":{"Host":"ssh://a","SkipTLSVerify":true,"Extra":"e"}},"Unknown":{"keep":true}}';

  test('keeps every key it does not change, including those the CLI drops, and numbers as written', async () => {
    const { dir, store } = await freshStore();
    const f = await plantMeta(dir, contextId('rich'), rich);
    const s = await store.update('rich', { description: 'new', endpoint: 'ssh://b' });
    assert.equal(
      await fs.readFile(f, 'utf8'),
      '{"Name":"rich","Metadata":{"Description":"new","GODEBUG":"x509negativeserial=1","alpha":{"a":[1,2.50,12345678901234567890],"b":2},"zeta":1},' +
        '"Endpoints":{"docker":{"Host":"ssh://b","SkipTLSVerify":true,"Extra":"e"},"kube":{"a":2,"z":1}},"Unknown":{"keep":true}}',
    );
    assert.deepEqual([s.description, s.endpoint, s.skipTLSVerify], ['new', 'ssh://b', true]);
  });

  test('an empty description removes it; the rest stays', async () => {
    const { dir, store } = await freshStore();
    const f = await plantMeta(dir, contextId('rich'), rich);
    await store.update('rich', { description: '' });
    const text = await fs.readFile(f, 'utf8');
    assert.ok(text.startsWith('{"Name":"rich","Metadata":{"GODEBUG":"x509negativeserial=1","alpha"'), text);
    assert.ok(text.includes('"Host":"ssh://a"'));
  });

  test("a context written with other key casing comes out in the CLI's casing", async () => {
    const { dir, store } = await freshStore();
    const f = await plantMeta(dir, contextId('lower'), '{"name":"lower","endpoints":{"docker":{"host":"ssh://a"}}}');
    await store.update('lower', { description: 'd' });
    assert.equal(
      await fs.readFile(f, 'utf8'),
      '{"Name":"lower","Metadata":{"Description":"d"},"Endpoints":{"docker":{"Host":"ssh://a","SkipTLSVerify":false}}}',
    );
  });

  test('keeps the mode of meta.json, leaves no temp file, validates the endpoint', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'm1', endpoint: 'ssh://a' });
    const f = path.join(dir, 'contexts', 'meta', contextId('m1'), 'meta.json');
    await fs.chmod(f, 0o600);
    await store.update('m1', { endpoint: 'ssh://b' });
    assert.equal(await mode(f), 0o600);
    assert.deepEqual(await fs.readdir(path.dirname(f)), ['meta.json']);
    await rejectsWith(store.update('m1', { endpoint: 'ssh://u:p@b' }), 'endpointInvalid');
    assert.equal((await store.get('m1')).endpoint, 'ssh://b');
  });

  test('default cannot be updated; unknown names; a corrupt meta.json is never rewritten', async () => {
    const { dir, store } = await freshStore();
    await rejectsWith(store.update('default', { description: 'x' }), 'defaultContextImmutable');
    await rejectsWith(store.update('nope', { description: 'x' }), 'contextNotFound');
    const f = await plantMeta(dir, contextId('bad'), '{"Name":"bad",');
    assert.equal((await rejectsWith(store.update('bad', { description: 'x' }), 'contextMetaCorrupt')).details.file, f);
    assert.equal(await fs.readFile(f, 'utf8'), '{"Name":"bad",');
  });
});

describe('use', () => {
  async function setup(config?: string): Promise<{ dir: string; store: ContextStore; cfg: string }> {
    const { dir, store } = await freshStore();
    await store.create({ name: 'aa', endpoint: 'ssh://a' });
    await store.create({ name: 'bb', endpoint: 'ssh://b' });
    const cfg = path.join(dir, 'config.json');
    if (config !== undefined) {
      await fs.writeFile(cfg, config);
    }
    return { dir, store, cfg };
  }

  test('creates config.json like the CLI: its exact text and mode 0600', async () => {
    const { store, cfg } = await setup();
    await store.use('aa');
    // What docker 28.2.2's `context use` wrote into a fresh DOCKER_CONFIG.
    assert.equal(await fs.readFile(cfg, 'utf8'), '{\n\t"auths": {},\n\t"currentContext": "aa"\n}');
    assert.equal(await mode(cfg), 0o600);
    assert.deepEqual((await fs.readdir(path.dirname(cfg))).sort(), ['config.json', 'contexts']);
  });

  test('use default writes nothing when there is nothing to change', async () => {
    const { store, cfg } = await setup();
    await store.use('default');
    await assert.rejects(fs.access(cfg));
  });

  test('changes only the currentContext bytes: unknown keys, order, indentation, final newline kept', async () => {
    const original =
      '{\n  "auths": {},\n  "myTool": {"x": [1, 2.50, 12345678901234567890]},\n  "currentContext": "aa",\n  "zLast": true\n}\n';
    const { store, cfg } = await setup(original);
    await store.use('bb');
    assert.equal(await fs.readFile(cfg, 'utf8'), original.replace('"currentContext": "aa"', '"currentContext": "bb"'));
  });

  test("adds the key after the last member, in the file's own style", async () => {
    const { store, cfg } = await setup('{\n    "auths": {},\n    "psFormat": "table"\n}\n');
    await store.use('aa');
    assert.equal(
      await fs.readFile(cfg, 'utf8'),
      '{\n    "auths": {},\n    "psFormat": "table",\n    "currentContext": "aa"\n}\n',
    );
    const compact = await setup('{"a":1}');
    await compact.store.use('aa');
    assert.equal(await fs.readFile(compact.cfg, 'utf8'), '{"a":1,"currentContext":"aa"}');
    const empty = await setup('{}\n');
    await empty.store.use('aa');
    assert.equal(await fs.readFile(empty.cfg, 'utf8'), '{\n\t"currentContext": "aa"\n}\n');
  });

  test('use default removes the key wherever it is, keeping everything else', async () => {
    const cases: [string, string][] = [
      ['{\n\t"auths": {},\n\t"currentContext": "aa"\n}', '{\n\t"auths": {}\n}'],
      ['{\n\t"currentContext": "aa",\n\t"auths": {}\n}', '{\n\t"auths": {}\n}'],
      ['{"x":1,"currentContext":"aa","y":2}', '{"x":1,"y":2}'],
      ['{ "currentContext": "aa" }\n', '{}\n'],
      ['{"currentContext":"aa","CurrentContext":"bb"}', '{}'],
    ];
    for (const [before, afterText] of cases) {
      const { store, cfg } = await setup(before);
      await store.use('default');
      assert.equal(await fs.readFile(cfg, 'utf8'), afterText, before);
    }
  });

  test('case variants and duplicates of the key collapse into the one that is set', async () => {
    const { store, cfg } = await setup('{"CurrentContext":"aa","auths":{},"currentcontext":"aa"}');
    await store.use('bb');
    assert.equal(await fs.readFile(cfg, 'utf8'), '{"auths":{},"currentcontext":"bb"}');
    assert.equal((await store.current()).name, 'bb');
  });

  test('writes nothing when the value does not change (like the CLI)', async () => {
    const text = '{ "currentContext" : "aa" }';
    const { store, cfg } = await setup(text);
    const before = await fs.stat(cfg);
    await store.use('aa');
    const afterStat = await fs.stat(cfg);
    assert.equal(afterStat.ino, before.ino);
    assert.equal(await fs.readFile(cfg, 'utf8'), text);
    const noConfig = await setup();
    await noConfig.store.use('default');
    await assert.rejects(fs.access(noConfig.cfg));
  });

  test('keeps the mode of an existing config.json and a symlink stays a symlink', async () => {
    const { dir, store, cfg } = await setup('{"currentContext":"aa"}');
    await fs.chmod(cfg, 0o640);
    await store.use('bb');
    assert.equal(await mode(cfg), 0o640);
    const real = path.join(dir, 'real-config.json');
    await fs.rename(cfg, real);
    await fs.symlink(real, cfg);
    await store.use('aa');
    assert.ok((await fs.lstat(cfg)).isSymbolicLink());
    assert.equal(await fs.readFile(real, 'utf8'), '{"currentContext":"aa"}');
  });

  test('never rewrites a config.json it cannot parse: bytes identical, error names the file', async () => {
    for (const text of ['{"currentContext": "aa", oops', '[1]', '{"currentContext":"aa"} {"x":1}', '\ufeff{}']) {
      const { store, cfg } = await setup(text);
      const before = await fs.stat(cfg);
      assert.equal((await rejectsWith(store.use('bb'), 'dockerConfigUnparsable')).details.file, cfg);
      await rejectsWith(store.use('default'), 'dockerConfigUnparsable');
      assert.equal(await fs.readFile(cfg, 'utf8'), text);
      assert.equal((await fs.stat(cfg)).mtimeMs, before.mtimeMs);
    }
  });

  test('a wrongly typed currentContext is replaced (valid JSON, nothing else changes)', async () => {
    const { store, cfg } = await setup('{"currentContext": 5, "k": "v"}');
    await store.use('aa');
    assert.equal(await fs.readFile(cfg, 'utf8'), '{"currentContext": "aa", "k": "v"}');
  });

  test('unknown, invalid and broken contexts are refused', async () => {
    const { dir, store, cfg } = await setup();
    await rejectsWith(store.use('nope'), 'contextNotFound');
    await rejectsWith(store.use('x'), 'contextNameInvalid');
    await plantMeta(dir, contextId('bad'), '{');
    await rejectsWith(store.use('bad'), 'contextMetaCorrupt');
    await assert.rejects(fs.access(cfg));
  });
});

describe('remove', () => {
  async function setup(env: NodeJS.ProcessEnv = {}): Promise<{ dir: string; store: ContextStore; cfg: string }> {
    const { dir } = await freshStore();
    const store = new ContextStore({ configDir: dir, env });
    await store.create({ name: 'aa', endpoint: 'ssh://a' });
    await store.create({ name: 'bb', endpoint: 'tcp://b:2376' });
    await fs.mkdir(path.join(dir, 'contexts', 'tls', contextId('bb'), 'docker'), { recursive: true });
    await fs.writeFile(path.join(dir, 'contexts', 'tls', contextId('bb'), 'docker', 'ca.pem'), 'x');
    return { dir, store, cfg: path.join(dir, 'config.json') };
  }

  test('removes the meta and TLS directories', async () => {
    const { dir, store } = await setup();
    assert.deepEqual(await store.remove('bb'), { wasCurrent: false });
    await assert.rejects(fs.access(path.join(dir, 'contexts', 'meta', contextId('bb'))));
    await assert.rejects(fs.access(path.join(dir, 'contexts', 'tls', contextId('bb'))));
    assert.deepEqual(
      (await store.list()).map((c) => c.name),
      ['aa', 'default'],
    );
  });

  test('default, unknown names', async () => {
    const { store } = await setup();
    assert.equal(
      (await rejectsWith(store.remove('default', { force: true }), 'defaultContextImmutable')).message,
      'context "default" cannot be removed',
    );
    assert.equal((await rejectsWith(store.remove('nope'), 'contextNotFound')).message, 'context "nope" does not exist');
  });

  test('the current context needs force; force clears currentContext first and keeps unknown keys', async () => {
    const { dir, store, cfg } = await setup();
    await fs.writeFile(cfg, '{\n\t"auths": {},\n\t"currentContext": "aa",\n\t"custom": {"k": 1}\n}\n');
    assert.equal((await rejectsWith(store.remove('aa'), 'contextInUse')).details.source, 'config');
    assert.equal((await store.get('aa')).name, 'aa');
    assert.deepEqual(await store.remove('aa', { force: true }), { wasCurrent: true });
    assert.equal(await fs.readFile(cfg, 'utf8'), '{\n\t"auths": {},\n\t"custom": {"k": 1}\n}\n');
    await assert.rejects(fs.access(path.join(dir, 'contexts', 'meta', contextId('aa'))));
    assert.deepEqual(await store.current(), { name: 'default', source: 'default' });
  });

  test('current through DOCKER_CONTEXT: in use; forced removal leaves another currentContext alone', async () => {
    const { store, cfg } = await setup({ DOCKER_CONTEXT: 'aa' });
    await fs.writeFile(cfg, '{"currentContext":"bb"}');
    assert.equal((await rejectsWith(store.remove('aa'), 'contextInUse')).details.source, 'DOCKER_CONTEXT');
    assert.deepEqual(await store.remove('aa', { force: true }), { wasCurrent: true });
    assert.equal(await fs.readFile(cfg, 'utf8'), '{"currentContext":"bb"}');
  });

  test("config's currentContext counts as in use even when DOCKER_HOST overrides it", async () => {
    const { store, cfg } = await setup({ DOCKER_HOST: 'tcp://h' });
    await fs.writeFile(cfg, '{"currentContext":"aa"}');
    await rejectsWith(store.remove('aa'), 'contextInUse');
    await store.remove('aa', { force: true });
    assert.equal(await fs.readFile(cfg, 'utf8'), '{}');
  });

  test('an unparsable config.json: refused, nothing removed, bytes identical', async () => {
    const { dir, store, cfg } = await setup();
    await fs.writeFile(cfg, '{"currentContext":');
    assert.equal((await rejectsWith(store.remove('bb', { force: true }), 'dockerConfigUnparsable')).details.file, cfg);
    assert.equal(await fs.readFile(cfg, 'utf8'), '{"currentContext":');
    await fs.access(path.join(dir, 'contexts', 'meta', contextId('bb'), 'meta.json'));
  });

  test('a broken context listed under its directory id can be removed by that id', async () => {
    const { dir, store } = await setup();
    const id = contextId('lost');
    await plantMeta(dir, id, 'garbage');
    assert.ok((await store.list()).some((c) => c.name === id));
    await store.remove(id);
    assert.ok(!(await store.list()).some((c) => c.name === id));
  });
});

describe('inspect', () => {
  test('default, as docker context inspect default prints it', async () => {
    const { store } = await freshStore();
    assert.deepEqual(await store.inspect('default'), {
      Name: 'default',
      Metadata: {},
      Endpoints: { docker: { Host: 'unix:///var/run/docker.sock', SkipTLSVerify: false } },
      TLSMaterial: {},
      Storage: { MetadataPath: '<IN MEMORY>', TLSPath: '<IN MEMORY>' },
    });
    const withHost = new ContextStore({ configDir: '/nonexistent', env: { DOCKER_HOST: 'ssh://u@h' } });
    assert.deepEqual(((await withHost.inspect('default')) as { Endpoints: unknown }).Endpoints, {
      docker: { Host: 'ssh://u@h', SkipTLSVerify: false },
    });
    await rejectsWith(
      new ContextStore({ configDir: '/nonexistent', env: { DOCKER_HOST: 'http://x' } }).inspect('default'),
      'endpointInvalid',
    );
  });

  test('a context with TLS material: endpoint dirs sorted, files sorted, an empty dir is null', async () => {
    const { dir, store } = await freshStore();
    await store.create({ name: 'tls1', endpoint: 'tcp://h:2376', description: 'd' });
    const tls = path.join(dir, 'contexts', 'tls', contextId('tls1'));
    await fs.mkdir(path.join(tls, 'docker', 'sub'), { recursive: true });
    await fs.mkdir(path.join(tls, 'empty'), { recursive: true });
    for (const f of ['key.pem', 'ca.pem', 'cert.pem', '.hidden']) {
      await fs.writeFile(path.join(tls, 'docker', f), 'x');
    }
    await fs.writeFile(path.join(tls, 'loose'), 'x');
    assert.deepEqual(await store.inspect('tls1'), {
      Name: 'tls1',
      Metadata: { Description: 'd' },
      Endpoints: { docker: { Host: 'tcp://h:2376', SkipTLSVerify: false } },
      TLSMaterial: { docker: ['.hidden', 'ca.pem', 'cert.pem', 'key.pem'], empty: null },
      Storage: { MetadataPath: path.join(dir, 'contexts', 'meta', contextId('tls1')), TLSPath: tls },
    });
  });

  test("the CLI's typed view: extras of the docker endpoint hidden, Metadata and Endpoints omitted when absent", async () => {
    const { dir, store } = await freshStore();
    await plantMeta(
      dir,
      contextId('bare'),
      '{"Name":"bare","Endpoints":{"docker":{"Host":"ssh://a","Extra":1},"kube":{"n":1.5}},"Top":1}',
    );
    await plantMeta(dir, contextId('noep'), '{"Name":"noep","Metadata":null,"Endpoints":{}}');
    assert.deepEqual(await store.inspect('bare'), {
      Name: 'bare',
      Endpoints: { docker: { Host: 'ssh://a', SkipTLSVerify: false }, kube: { n: 1.5 } },
      TLSMaterial: {},
      Storage: {
        MetadataPath: path.join(dir, 'contexts', 'meta', contextId('bare')),
        TLSPath: path.join(dir, 'contexts', 'tls', contextId('bare')),
      },
    });
    assert.deepEqual(Object.keys((await store.inspect('noep')) as object), ['Name', 'TLSMaterial', 'Storage']);
  });

  test('unknown and broken contexts', async () => {
    const { dir, store } = await freshStore();
    await rejectsWith(store.inspect('nope'), 'contextNotFound');
    const f = await plantMeta(dir, contextId('bad'), '{"Name":1}');
    assert.equal((await rejectsWith(store.inspect('bad'), 'contextMetaCorrupt')).details.file, f);
  });
});

describe('the listing fast path', () => {
  test('agrees with the Go-faithful reader on every input it accepts, and declines the others', () => {
    const inputs = [
      metaText('aa', 'ssh://a', 'd'),
      metaText('aa', 'ssh://a'),
      '{"Name":"aa","Metadata":{"Description":"x","GODEBUG":"y"},"Endpoints":{"docker":{"Host":"ssh://a","SkipTLSVerify":true}}}',
      '{"Name":"aa","Name":"bb","Endpoints":{"docker":{"Host":"ssh://a","Host":"ssh://b"}}}',
      '{"Name":"aa","Metadata":null,"Endpoints":{"docker":{}}}',
      '{"Name":"aa","Endpoints":{"other":{"x":1}}}',
      '{"Name":"aa"}',
      '{"Name":"aa","name":"bb"}',
      '{"name":"aa","Endpoints":{"docker":{"Host":"ssh://a"}}}',
      '{"Name":"aa","Endpoints":{"docker":{"host":"ssh://a"}}}',
      '{"Name":"aa","Endpoints":{"docker":{"Host":"ssh://a","Extra":1}}}',
      '{"Name":"aa","Endpoints":{"docker":null}}',
      '{"Name":"aa","Extra":1}',
      '{"Name":"aa","Metadata":"s"}',
      '{"Name":"aa","Metadata":{"Description":5}}',
      '{"Name":5}',
      '{"Name":""}',
      '[]',
      'null',
      '{"Name":"aa",',
      '{"Name":"aa","__proto__":{"x":1}}',
    ];
    const accepted: number[] = [];
    for (const [i, text] of inputs.entries()) {
      const fast = summarizeCanonicalMeta(text);
      if (!fast) {
        continue;
      }
      accepted.push(i);
      const slow = interpretMeta(parseJsonStrict(text));
      assert.deepEqual(
        fast,
        {
          name: slow.name,
          description: slow.metadata?.description ?? '',
          docker: slow.docker ? { host: slow.docker.host, skipTLSVerify: slow.docker.skipTLSVerify } : undefined,
        },
        text,
      );
    }
    // The first seven are in the CLI's own shape; every other one goes to the full reader.
    assert.deepEqual(accepted, [0, 1, 2, 3, 4, 5, 6]);
  });
});
