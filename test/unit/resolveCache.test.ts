import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { EffectiveHost } from '../../src/core/sshConfig/effectiveHost';
import { ResolveCache, volatileSshConfig } from '../../src/core/sshConfig/resolveCache';
import { tempDirs } from '../support/tempDirs';

const newDir = tempDirs('rdc-resolve-cache-');

function host(hostname: string): EffectiveHost {
  return { alias: 'a', hostname } as EffectiveHost;
}

test('an answer is computed once, then served from memory until invalidated', async () => {
  const cache = new ResolveCache();
  let runs = 0;
  const compute = (): Promise<EffectiveHost> => Promise.resolve(host(`h${++runs}`));
  assert.equal((await cache.resolve('a', compute)).hostname, 'h1');
  assert.equal((await cache.resolve('a', compute)).hostname, 'h1');
  assert.equal((await cache.resolve('b', compute)).hostname, 'h2', 'another key is its own answer');
  cache.invalidate();
  assert.equal((await cache.resolve('a', compute)).hostname, 'h3');
  assert.equal(runs, 3);
});

test('an answer computed across an invalidate() is returned but not kept (it may have read the old files)', async () => {
  const cache = new ResolveCache();
  let release: () => void = () => undefined;
  const slow = cache.resolve(
    'a',
    () =>
      new Promise<EffectiveHost>((resolve) => {
        release = () => resolve(host('old'));
      }),
  );
  cache.invalidate();
  release();
  assert.equal((await slow).hostname, 'old');
  assert.equal(cache.size, 0);
  assert.equal((await cache.resolve('a', () => Promise.resolve(host('new')))).hostname, 'new');
});

test('a failure is not kept, and a resolution under way is not shared (one caller cancelled fails no other)', async () => {
  const cache = new ResolveCache();
  await assert.rejects(
    cache.resolve('a', () => Promise.reject(new Error('cancelled'))),
    /cancelled/,
  );
  let runs = 0;
  const compute = (): Promise<EffectiveHost> => Promise.resolve(host(`h${++runs}`));
  const [x, y] = await Promise.all([cache.resolve('a', compute), cache.resolve('a', compute)]);
  assert.deepEqual([x.hostname, y.hostname].sort(), ['h1', 'h2']);
});

test('a configuration with Match exec or Match localnetwork is volatile; others are not', async () => {
  const dir = await newDir();
  const write = async (name: string, text: string): Promise<string> => {
    const f = path.join(dir, name);
    await fs.writeFile(f, text);
    return f;
  };
  const plain = await write('plain', 'Host a\n  HostName x\nMatch host b user c\n  Port 2\n# Match exec "true"\n');
  const exec = await write('exec', 'Host a\n  HostName x\n\nmatch Host b Exec "test -e /tmp/x"\n  Port 2\n');
  const net = await write('net', 'Match localnetwork 10.0.0.0/8\n  ProxyJump j\n');
  assert.equal(await volatileSshConfig([plain]), false);
  assert.equal(await volatileSshConfig([plain, exec]), true);
  assert.equal(await volatileSshConfig([net]), true);
  assert.equal(await volatileSshConfig([path.join(dir, 'missing')]), false);
});
