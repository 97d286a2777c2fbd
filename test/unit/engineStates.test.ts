/**
 * The view model of the daemons (EngineStates), its keys and the facts it keeps across
 * sessions (FactsMemory), in plain Node: probes are functions the test resolves, the store is
 * an in-memory key-value map that round-trips through JSON as VS Code's globalState does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CoreError } from '../../src/core/common/errors';
import {
  FACTS_MEMORY_KEY,
  FACTS_MEMORY_LIMIT,
  FACTS_REWRITE_AFTER_MS,
  FactsMemory,
  parseFactsMemory,
  type KeyValueStore,
} from '../../src/core/engine/engineFactsMemory';
import type { EngineInfo } from '../../src/core/engine/engineInfo';
import { engineKey, keyId, sameKey, type EngineKey } from '../../src/core/engine/engineKey';
import { EngineStates, type DaemonState } from '../../src/core/engine/engineStates';
import { relativeAge } from '../../src/core/engine/engineStatusFormat';

/** Like globalState: values are stored as JSON. */
class JsonStore implements KeyValueStore {
  readonly values = new Map<string, string>();
  writes = 0;
  get(key: string): unknown {
    const v = this.values.get(key);
    return v === undefined ? undefined : JSON.parse(v);
  }
  update(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.values.set(key, JSON.stringify(value));
    return Promise.resolve();
  }
}

function info(o: Partial<EngineInfo> = {}): EngineInfo {
  return {
    operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
    osType: 'linux',
    architecture: 'x86_64',
    platform: 'linux/amd64',
    kernelVersion: '6.1.0',
    serverVersion: '20.10.24',
    apiVersion: '1.41',
    ncpu: 2,
    memTotal: 1 << 30,
    name: 'box',
    rttMs: 1,
    checkedAt: 1_000,
    transport: 'streamlocal',
    ...o,
  };
}

const REMOTE: EngineKey = engineKey({ name: 'remote', endpoint: 'ssh://box', skipTLSVerify: false });
const LOCAL: EngineKey = engineKey({ name: 'default', endpoint: 'unix:///var/run/docker.sock' });

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

function states(store?: KeyValueStore, now = (): number => 1_000): EngineStates {
  return new EngineStates({ ttlMs: 60_000, concurrency: 2, timeoutMs: 60_000, memory: new FactsMemory(store), now });
}

describe('engine keys', () => {
  test('a key is its three fields; the id is never split, so a name with a newline is no problem', () => {
    const a = engineKey({ name: 'a\nssh://x', endpoint: 'ssh://y', skipTLSVerify: false });
    const b = engineKey({ name: 'a', endpoint: 'ssh://x\nssh://y', skipTLSVerify: false });
    assert.notEqual(keyId(a), keyId(b));
    assert.ok(sameKey(a, engineKey({ ...a })));
    assert.ok(!sameKey(a, { ...a, skipTLSVerify: true }));
    assert.ok(!sameKey(a, undefined));
  });
});

describe('FactsMemory', () => {
  test('remembers what a probe read, across a new instance on the same store (a new session)', async () => {
    const store = new JsonStore();
    await new FactsMemory(store).remember(REMOTE, info({ checkedAt: 5_000 }));
    const again = new FactsMemory(store);
    assert.deepEqual(again.recall(REMOTE), {
      operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
      architecture: 'x86_64',
      platform: 'linux/amd64',
      serverVersion: '20.10.24',
      checkedAt: 5_000,
    });
    assert.equal(again.recall({ ...REMOTE, endpoint: 'ssh://other' }), undefined, 'another endpoint is another daemon');
    assert.equal(again.recall(LOCAL), undefined);
  });

  test('writes only when the facts changed or the stored ones are old', async () => {
    const store = new JsonStore();
    const m = new FactsMemory(store);
    await m.remember(REMOTE, info({ checkedAt: 0 }));
    await m.remember(REMOTE, info({ checkedAt: 30_000 }));
    await m.remember(REMOTE, info({ checkedAt: 60_000, rttMs: 7 }));
    assert.equal(store.writes, 1, 'the same facts 30 s later: no write');
    await m.remember(REMOTE, info({ checkedAt: 61_000, serverVersion: '24.0.0' }));
    assert.equal(store.writes, 2, 'a new engine version is written');
    await m.remember(REMOTE, info({ checkedAt: 61_000 + FACTS_REWRITE_AFTER_MS, serverVersion: '24.0.0' }));
    assert.equal(store.writes, 3, 'old facts are written again with the new time');
  });

  test('keeps at most FACTS_MEMORY_LIMIT entries, dropping the one written longest ago; retain forgets removed contexts', async () => {
    const store = new JsonStore();
    const m = new FactsMemory(store);
    for (let i = 0; i <= FACTS_MEMORY_LIMIT; i++) {
      await m.remember(engineKey({ name: `c${i}`, endpoint: `ssh://h${i}` }), info());
    }
    assert.equal(parseFactsMemory(store.get(FACTS_MEMORY_KEY)).length, FACTS_MEMORY_LIMIT);
    assert.equal(m.recall(engineKey({ name: 'c0', endpoint: 'ssh://h0' })), undefined);
    const keep = engineKey({ name: 'c1', endpoint: 'ssh://h1' });
    await m.retain([keep]);
    assert.deepEqual(
      parseFactsMemory(store.get(FACTS_MEMORY_KEY)).map((e) => e.name),
      ['c1'],
    );
    const writes = store.writes;
    await m.retain([keep]);
    assert.equal(store.writes, writes, 'nothing removed: no write');
  });

  test('a stored value of another shape or version is ignored; malformed entries are dropped, never trusted', () => {
    assert.deepEqual(parseFactsMemory(undefined), []);
    assert.deepEqual(parseFactsMemory({ version: 2, entries: [] }), []);
    assert.deepEqual(parseFactsMemory({ version: 1, entries: 'x' }), []);
    const good = {
      name: 'a',
      endpoint: 'ssh://a',
      skipTLSVerify: false,
      operatingSystem: 'x',
      architecture: 'y',
      platform: 'linux/amd64',
      serverVersion: '1',
      checkedAt: 1,
    };
    const parsed = parseFactsMemory({
      version: 1,
      entries: [
        good,
        null,
        { ...good, checkedAt: 'now' },
        { ...good, operatingSystem: 3 },
        { ...good, skipTLSVerify: 1 },
      ],
    });
    assert.deepEqual(parsed, [good]);
  });
});

describe('EngineStates', () => {
  test('at startup a context shows the remembered facts, not checked again yet; the first answer replaces them', async () => {
    const store = new JsonStore();
    await new FactsMemory(store).remember(REMOTE, info({ checkedAt: 1_000, operatingSystem: 'Old OS' }));
    const s = states(store, () => 9_000);
    const first = s.get(REMOTE);
    assert.equal(first.kind, 'remembered');
    assert.equal(first.kind === 'remembered' && first.facts.operatingSystem, 'Old OS');
    assert.equal(first.probing, false);
    const r = await s.run(REMOTE, () => Promise.resolve(info({ checkedAt: 9_000 })), { person: false });
    assert.ok(r.ok);
    const after = s.get(REMOTE);
    assert.equal(after.kind, 'ok');
    assert.equal(after.kind === 'ok' && after.info.operatingSystem, 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(
      new FactsMemory(store).recall(REMOTE)?.operatingSystem,
      'Debian GNU/Linux 12 (bookworm)',
      'and the new facts are what the next session starts with',
    );
    s.dispose();
  });

  test('a failure replaces the remembered facts, with its reason and whether a prompt resolves it', async () => {
    const store = new JsonStore();
    await new FactsMemory(store).remember(REMOTE, info());
    const s = states(store);
    await s.run(REMOTE, () => Promise.reject(new CoreError('hostKeyUnknown', 'unknown key')), { person: false });
    const st = s.get(REMOTE);
    assert.equal(st.kind, 'failed');
    assert.ok(st.kind === 'failed' && st.error.reason === 'hostKeyUnknown' && st.interactive && st.ssh && !st.calm);
    await s.run(LOCAL, () => Promise.reject(new CoreError('dockerSocketMissing', 'no socket')), { person: false });
    const local = s.get(LOCAL);
    assert.ok(local.kind === 'failed' && local.calm && !local.ssh, 'no daemon behind a local socket is calm');
    s.dispose();
  });

  test('events: a probe of an unknown daemon says "probing" at once; a person\'s probe says so and says when it ends', async () => {
    const s = states();
    const seen: string[] = [];
    s.onDidChange((k) => {
      const st: DaemonState = s.get(k);
      seen.push(`${k.name}:${st.kind}${st.probing ? '+probing' : ''}${st.personProbing ? '+person' : ''}`);
    });
    const d = deferred<EngineInfo>();
    const p = s.run(REMOTE, () => d.promise, { person: false });
    assert.deepEqual(seen, ['remote:unknown+probing']);
    d.resolve(info());
    await p;
    assert.deepEqual(seen, ['remote:unknown+probing', 'remote:ok']);
    seen.length = 0;
    // A background check of a known daemon changes nothing on screen until it answers.
    const bg = deferred<EngineInfo>();
    const q = s.run(REMOTE, () => bg.promise, { person: false });
    assert.deepEqual(seen, []);
    bg.reject(new CoreError('connectionRefused', 'refused'));
    await q;
    assert.deepEqual(seen, ['remote:failed']);
    seen.length = 0;
    const person = deferred<EngineInfo>();
    const r = s.run(REMOTE, () => person.promise, { person: true });
    assert.deepEqual(seen, ['remote:failed+probing+person']);
    person.reject(new CoreError('cancelled', 'cancelled'));
    await r;
    assert.deepEqual(
      seen,
      ['remote:failed+probing+person', 'remote:failed'],
      'cancelled: the failure stays, the probing ends',
    );
    s.dispose();
  });

  test("invalidate(endpoint) marks only that endpoint's keys stale, and tells the views", async () => {
    const s = states();
    let invalidations = 0;
    s.onDidInvalidate(() => invalidations++);
    const other = engineKey({ name: 'other-name', endpoint: 'ssh://box' });
    for (const k of [REMOTE, other, LOCAL]) {
      await s.run(k, () => Promise.resolve(info()), { person: false });
    }
    assert.ok([REMOTE, other, LOCAL].every((k) => !s.get(k).stale));
    s.invalidate('ssh://box');
    assert.equal(invalidations, 1);
    assert.deepEqual(
      [REMOTE, other, LOCAL].map((k) => s.get(k).stale),
      [true, true, false],
    );
    s.invalidate();
    assert.equal(s.get(LOCAL).stale, true);
    s.dispose();
  });

  test('retain drops removed contexts here and in the persisted facts', async () => {
    const store = new JsonStore();
    const s = states(store);
    await s.run(REMOTE, () => Promise.resolve(info()), { person: false });
    await s.run(LOCAL, () => Promise.resolve(info()), { person: false });
    s.retain([LOCAL]);
    await new Promise((r) => setImmediate(r));
    assert.equal(s.size, 1);
    assert.equal(s.get(REMOTE).kind, 'unknown');
    assert.equal(new FactsMemory(store).recall(REMOTE), undefined);
    s.dispose();
  });
});

describe('relativeAge', () => {
  test('the largest whole unit, negative (for Intl.RelativeTimeFormat)', () => {
    assert.deepEqual(relativeAge(0), { value: -0, unit: 'second' });
    assert.deepEqual(relativeAge(59_999), { value: -59, unit: 'second' });
    assert.deepEqual(relativeAge(60_000), { value: -1, unit: 'minute' });
    assert.deepEqual(relativeAge(2 * 3_600_000 + 5), { value: -2, unit: 'hour' });
    assert.deepEqual(relativeAge(3 * 86_400_000), { value: -3, unit: 'day' });
    assert.deepEqual(relativeAge(-5), { value: -0, unit: 'second' }, 'a clock that went back reads as now');
    assert.equal(new Intl.RelativeTimeFormat('en', { numeric: 'auto' }).format(-2, 'hour'), '2 hours ago');
  });
});
