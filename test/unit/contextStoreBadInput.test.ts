/**
 * Hostile meta.json and config.json files, table-driven: huge, FIFO, symlink loops, bytes that
 * are not UTF-8, wrong types, deep nesting, a BOM, duplicate keys. Each one ends in a clear
 * reason (or in what the docker CLI does where the CLI accepts the file), reads never hang or
 * throw for the whole store, and no edit writes anything over a file it could not read exactly.
 * The count by kind is printed at the end.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { ContextStore, contextId } from '../../src/core/contexts/contextStore';
import { CoreError, type Reason } from '../../src/core/common/errors';
import { tempDirs } from '../support/tempDirs';

const tempDir = tempDirs('rdc-bad-input-');
const counts = new Map<string, number>();
after(() => {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const rows = [...counts.entries()].map(([k, n]) => `  ${k.padEnd(28)} ${n}`);
  process.stdout.write(`bad-input suite, inputs by kind (${total} in all):\n${rows.join('\n')}\n`);
});

const HOST = '"Endpoints":{"docker":{"Host":"ssh://h","SkipTLSVerify":false}}';
const NAME = 'bad';
const HUGE = 11 << 20;

/** How a hostile file is made: its bytes, or a special file. */
type Plant = Buffer | string | { fifo: true } | { loop: true } | { dir: true };

interface MetaCase {
  kind: string;
  what: string;
  plant: Plant;
  /** The listing's reason, or 'ok' where the CLI accepts it, or 'absent' where the CLI sees no context. */
  listed: Reason | 'ok' | 'absent';
  /** Whether an update is refused (nothing written); ok cases the CLI would rewrite. */
  updateRefused: boolean;
  /** `use` where it differs from the listing: the CLI's `context use` only needs a loadable file. */
  use?: 'ok' | 'refused';
}

const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

const metaCases: MetaCase[] = [
  {
    kind: 'huge',
    what: '11 MiB of spaces',
    plant: `{"Name":"bad",${HOST}}` + ' '.repeat(HUGE),
    listed: 'contextMetaUnreadable',
    updateRefused: true,
  },
  {
    kind: 'huge',
    what: '11 MiB description',
    plant: `{"Name":"bad","Metadata":{"Description":"${'x'.repeat(HUGE)}"},${HOST}}`,
    listed: 'contextMetaUnreadable',
    updateRefused: true,
  },
  {
    kind: 'FIFO',
    what: 'a named pipe without writer',
    plant: { fifo: true },
    listed: 'contextMetaUnreadable',
    updateRefused: true,
  },
  {
    kind: 'symlink loop',
    what: 'meta.json → itself (the CLI: not a context)',
    plant: { loop: true },
    listed: 'absent',
    updateRefused: true,
  },
  {
    kind: 'not a file',
    what: 'meta.json a directory (the CLI: not a context)',
    plant: { dir: true },
    listed: 'absent',
    updateRefused: true,
  },
  {
    kind: 'non-UTF-8',
    what: 'Latin-1 description (the CLI reads U+FFFD)',
    plant: latin1(`{"Name":"bad","Metadata":{"Description":"caf\xe9"},${HOST}}`),
    listed: 'ok',
    updateRefused: true,
  },
  {
    kind: 'non-UTF-8',
    what: 'Latin-1 host',
    plant: latin1(`{"Name":"bad","Endpoints":{"docker":{"Host":"ssh://h\xe9"}}}`),
    listed: 'ok',
    updateRefused: true,
  },
  {
    kind: 'non-UTF-8',
    what: 'a stray byte outside strings',
    plant: latin1(`{"Name":"bad",\xff${HOST}}`),
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'non-UTF-8',
    what: 'UTF-16LE',
    plant: Buffer.from(`{"Name":"bad",${HOST}}`, 'utf16le'),
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  { kind: 'wrong types', what: 'root an array', plant: '[]', listed: 'contextMetaCorrupt', updateRefused: true },
  { kind: 'wrong types', what: 'root a string', plant: '"bad"', listed: 'contextMetaCorrupt', updateRefused: true },
  {
    kind: 'wrong types',
    what: 'root null',
    plant: 'null',
    listed: 'contextMetaCorrupt',
    updateRefused: true,
    use: 'ok',
  },
  {
    kind: 'wrong types',
    what: 'Name a number',
    plant: `{"Name":5,${HOST}}`,
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'wrong types',
    what: 'Name an object',
    plant: `{"Name":{"x":1},${HOST}}`,
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'wrong types',
    what: 'Endpoints a string',
    plant: '{"Name":"bad","Endpoints":"ssh://h"}',
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'wrong types',
    what: 'Endpoints.docker an array',
    plant: '{"Name":"bad","Endpoints":{"docker":[]}}',
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'wrong types',
    what: 'Host a number',
    plant: '{"Name":"bad","Endpoints":{"docker":{"Host":22}}}',
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'wrong types',
    what: 'SkipTLSVerify a string',
    plant: '{"Name":"bad","Endpoints":{"docker":{"Host":"ssh://h","SkipTLSVerify":"yes"}}}',
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'wrong types',
    what: 'Metadata an array',
    plant: `{"Name":"bad","Metadata":[],${HOST}}`,
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'wrong types',
    what: 'Description a number',
    plant: `{"Name":"bad","Metadata":{"Description":5},${HOST}}`,
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'wrong types',
    what: 'no docker endpoint',
    plant: '{"Name":"bad","Endpoints":{}}',
    listed: 'contextMetaCorrupt',
    updateRefused: false,
    use: 'ok',
  },
  {
    kind: 'deeply nested',
    what: 'depth 2000 in Metadata (listed as the CLI does; never rewritten, past our limit of 1000)',
    plant: `{"Name":"bad","Metadata":{"x":${deep(2000)}},${HOST}}`,
    listed: 'ok',
    updateRefused: true,
    use: 'refused',
  },
  {
    kind: 'deeply nested',
    what: 'depth 100000',
    plant: deep(100000),
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'deeply nested',
    what: 'depth 500 in another endpoint (kept)',
    plant: `{"Name":"bad",${HOST.slice(0, -1)},"x":{"k":${deep(500)}}}}`,
    listed: 'ok',
    updateRefused: false,
  },
  {
    kind: 'BOM',
    what: 'UTF-8 BOM (the CLI fails too)',
    plant: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"Name":"bad",${HOST}}`)]),
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'duplicate keys',
    what: 'Name twice, the last wins',
    plant: `{"Name":"zz","Name":"bad",${HOST}}`,
    listed: 'ok',
    updateRefused: false,
  },
  {
    kind: 'duplicate keys',
    what: 'name and Name, the last wins',
    plant: `{"name":"zz","Name":"bad",${HOST}}`,
    listed: 'ok',
    updateRefused: false,
  },
  {
    kind: 'duplicate keys',
    what: 'Host twice',
    plant: '{"Name":"bad","Endpoints":{"docker":{"Host":"ssh://a","Host":"ssh://h"}}}',
    listed: 'ok',
    updateRefused: false,
  },
  { kind: 'syntax', what: 'empty file', plant: '', listed: 'contextMetaCorrupt', updateRefused: true },
  {
    kind: 'syntax',
    what: 'truncated',
    plant: `{"Name":"bad",${HOST}`,
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'syntax',
    what: 'trailing text',
    plant: `{"Name":"bad",${HOST}}x`,
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'syntax',
    what: 'a comment',
    plant: `{"Name":"bad",/* c */${HOST}}`,
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
  {
    kind: 'syntax',
    what: 'control character in a string',
    plant: `{"Name":"bad","Metadata":{"Description":"a\u0001b"},${HOST}}`,
    listed: 'contextMetaCorrupt',
    updateRefused: true,
  },
];

interface ConfigCase {
  kind: string;
  what: string;
  plant: Plant;
  /** `current()`'s configError reason, or 'ok'. */
  read: Reason | 'ok';
  /** The context current() names (the CLI's: default when the file is unreadable). */
  current: string;
  /** use('ok-ctx') refused with this reason (nothing written), or 'ok' (written, other bytes kept). */
  use: Reason | 'ok';
}

const configCases: ConfigCase[] = [
  {
    kind: 'huge',
    what: '11 MiB auths',
    plant: `{"currentContext":"bad","auths":{"x":"${'a'.repeat(HUGE)}"}}`,
    read: 'fileUnreadable',
    current: 'default',
    use: 'fileUnreadable',
  },
  {
    kind: 'FIFO',
    what: 'a named pipe without writer',
    plant: { fifo: true },
    read: 'fileUnreadable',
    current: 'default',
    use: 'fileUnreadable',
  },
  {
    kind: 'symlink loop',
    what: 'config.json → itself',
    plant: { loop: true },
    read: 'fileUnreadable',
    current: 'default',
    use: 'fileUnreadable',
  },
  {
    kind: 'not a file',
    what: 'config.json a directory',
    plant: { dir: true },
    read: 'fileUnreadable',
    current: 'default',
    use: 'fileUnreadable',
  },
  {
    kind: 'non-UTF-8',
    what: 'Latin-1 in another key (the CLI would drop it)',
    plant: latin1('{"currentContext":"bad","x":"caf\xe9"}'),
    read: 'ok',
    current: 'bad',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'non-UTF-8',
    what: 'Latin-1 in currentContext',
    plant: latin1('{"currentContext":"b\xe9d"}'),
    read: 'ok',
    current: 'b\uFFFDd',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'non-UTF-8',
    what: 'a stray byte outside strings',
    plant: latin1('{\xff"currentContext":"bad"}'),
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'non-UTF-8',
    what: 'UTF-16LE',
    plant: Buffer.from('{"currentContext":"bad"}', 'utf16le'),
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'wrong types',
    what: 'root an array',
    plant: '["bad"]',
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'wrong types',
    what: 'root a number',
    plant: '5',
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'wrong types',
    what: 'root a string',
    plant: '"bad"',
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'wrong types',
    what: 'currentContext a number (the CLI warns)',
    plant: '{"currentContext":5,"auths":{}}',
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'ok',
  },
  {
    kind: 'wrong types',
    what: 'currentContext an object',
    plant: '{"currentContext":{"a":1}}',
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'ok',
  },
  {
    kind: 'wrong types',
    what: 'auths a string (not ours to judge)',
    plant: '{"currentContext":"bad","auths":"x"}',
    read: 'ok',
    current: 'bad',
    use: 'ok',
  },
  {
    kind: 'deeply nested',
    what: 'depth 2000 in another key (the CLI allows 10000)',
    plant: `{"currentContext":"bad","x":${deep(2000)}}`,
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'deeply nested',
    what: 'depth 100000',
    plant: deep(100000),
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'deeply nested',
    what: 'depth 500 in another key (kept)',
    plant: `{"currentContext":"bad","x":${deep(500)}}`,
    read: 'ok',
    current: 'bad',
    use: 'ok',
  },
  {
    kind: 'BOM',
    what: 'UTF-8 BOM (the CLI warns too)',
    plant: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"currentContext":"bad"}')]),
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'duplicate keys',
    what: 'currentContext twice, the last wins',
    plant: '{"currentContext":"zz","currentContext":"bad"}',
    read: 'ok',
    current: 'bad',
    use: 'ok',
  },
  {
    kind: 'duplicate keys',
    what: 'CurrentContext and currentContext',
    plant: '{"CurrentContext":"zz","currentContext":"bad"}',
    read: 'ok',
    current: 'bad',
    use: 'ok',
  },
  { kind: 'syntax', what: 'empty file', plant: '', read: 'ok', current: 'default', use: 'ok' },
  {
    kind: 'syntax',
    what: 'truncated',
    plant: '{"currentContext":"bad"',
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'syntax',
    what: 'trailing text (the CLI reads the first value)',
    plant: '{"currentContext":"bad"}x',
    read: 'dockerConfigUnparsable',
    current: 'bad',
    use: 'dockerConfigUnparsable',
  },
  {
    kind: 'syntax',
    what: 'a comment',
    plant: '{"currentContext":"bad" // c\n}',
    read: 'dockerConfigUnparsable',
    current: 'default',
    use: 'dockerConfigUnparsable',
  },
];

async function plant(file: string, p: Plant): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  if (typeof p === 'string' || Buffer.isBuffer(p)) {
    await fs.writeFile(file, p);
  } else if ('fifo' in p) {
    const r = spawnSync('mkfifo', [file]);
    assert.equal(r.status, 0, String(r.stderr));
  } else if ('loop' in p) {
    await fs.symlink(file, file);
  } else {
    await fs.mkdir(file);
  }
}

/** Every entry under `dir` with its type and bytes (a FIFO is not opened), to prove nothing was written. */
async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) {
        out.set(p, `link:${await fs.readlink(p)}`);
      } else if (e.isDirectory()) {
        out.set(p, 'dir');
        await walk(p);
      } else if (e.isFile()) {
        out.set(p, (await fs.readFile(p)).toString('base64'));
      } else {
        out.set(p, 'special');
      }
    }
  };
  await walk(dir);
  return out;
}

async function refusedWith(p: Promise<unknown>, reason: Reason, what: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(CoreError.is(e), `${what}: not a CoreError: ${String(e)}`);
    assert.equal(e.reason, reason, `${what}: ${e.message}`);
    return true;
  });
}

function count(kind: string): void {
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
}

describe('hostile meta.json', () => {
  for (const c of metaCases) {
    test(`${c.kind}: ${c.what}`, async () => {
      count(`meta.json ${c.kind}`);
      const dir = await tempDir();
      const store = new ContextStore({ configDir: dir, env: {}, platform: 'linux' });
      await plant(path.join(dir, 'contexts', 'meta', contextId(NAME), 'meta.json'), c.plant);
      const before = await tree(dir);
      const listed = (await store.list()).find((s) => s.name === NAME || s.name === contextId(NAME));
      if (c.listed === 'absent') {
        assert.equal(listed, undefined);
        await refusedWith(store.update(NAME, { description: 'x' }), 'contextNotFound', c.what);
      } else if (c.listed === 'ok') {
        assert.ok(listed, c.what);
        assert.equal(listed.error, undefined, `${c.what}: ${JSON.stringify(listed.error)}`);
      } else {
        assert.equal(listed?.error?.reason, c.listed, `${c.what}: ${JSON.stringify(listed)}`);
      }
      if (c.listed !== 'absent') {
        if ((c.use ?? (c.listed === 'ok' ? 'ok' : 'refused')) === 'ok') {
          await store.use(NAME);
          await store.use('default');
        } else {
          await assert.rejects(store.use(NAME), CoreError);
        }
      }
      if (c.updateRefused) {
        await assert.rejects(store.update(NAME, { description: 'x' }), CoreError);
        await assert.rejects(store.update(NAME, { endpoint: 'ssh://other' }), CoreError);
        const after = await tree(dir);
        after.delete(path.join(dir, 'config.json'));
        assert.deepEqual(after, before, `${c.what}: nothing written`);
      } else {
        await store.update(NAME, { description: 'x' });
        assert.equal((await store.get(NAME)).description, 'x');
      }
    });
  }
});

describe('hostile config.json', () => {
  for (const c of configCases) {
    test(`${c.kind}: ${c.what}`, async () => {
      count(`config.json ${c.kind}`);
      const dir = await tempDir();
      const store = new ContextStore({ configDir: dir, env: {}, platform: 'linux' });
      const metaDir = path.join(dir, 'contexts', 'meta', contextId('ok-ctx'));
      await fs.mkdir(metaDir, { recursive: true });
      await fs.writeFile(path.join(metaDir, 'meta.json'), `{"Name":"ok-ctx",${HOST}}`);
      const file = path.join(dir, 'config.json');
      await plant(file, c.plant);
      const before = await tree(dir);
      const current = await store.current();
      assert.equal(current.configError?.reason ?? 'ok', c.read, `${c.what}: ${JSON.stringify(current)}`);
      assert.equal(current.name, c.current, c.what);
      assert.ok(Array.isArray(await store.list()));
      if (c.use === 'ok') {
        await store.use('ok-ctx');
        assert.equal((await store.current()).name, 'ok-ctx', c.what);
        const text = await fs.readFile(file, 'utf8');
        if (typeof c.plant === 'string' && c.plant.includes('"auths"')) {
          assert.match(text, /"auths"/, `${c.what}: the other keys kept`);
        }
      } else {
        await refusedWith(store.use('ok-ctx'), c.use, c.what);
        await refusedWith(store.remove('ok-ctx', { force: true }), c.use, `${c.what} (rm -f)`);
        assert.deepEqual(await tree(dir), before, `${c.what}: nothing written`);
      }
    });
  }
});
