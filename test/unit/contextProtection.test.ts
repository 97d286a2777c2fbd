import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ContextStore, contextId } from '../../src/core/contexts/contextStore';
import { interpretMeta, metaProtection, summarizeCanonicalMeta } from '../../src/core/contexts/contextMeta';
import { protectionFromValue } from '../../src/core/contexts/contextProtection';
import { parseJsonStrict } from '../../src/core/contexts/jsonDocument';
import { setContextProtection, withProtection } from '../../src/core/contexts/protectContext';
import { rejectsWith } from '../support/rejectsWith';
import { tempDirs } from '../support/tempDirs';

const tempDir = tempDirs('rdc-protect-');

async function plant(name: string, text: string): Promise<{ store: ContextStore; file: string }> {
  const dir = await tempDir();
  const d = path.join(dir, 'contexts', 'meta', contextId(name));
  await fs.mkdir(d, { recursive: true });
  const file = path.join(d, 'meta.json');
  await fs.writeFile(file, text);
  return { store: new ContextStore({ configDir: dir, env: {}, platform: 'linux' }), file };
}

const CLI_META =
  '{"Name":"prod","Metadata":{"Description":"the real one"},"Endpoints":{"docker":{"Host":"ssh://prod","SkipTLSVerify":false}}}';

describe('protectionFromValue', () => {
  test('only `protected: true` protects; an unknown colour is no colour', () => {
    assert.equal(protectionFromValue(undefined), undefined);
    assert.equal(protectionFromValue({ protected: 'yes' }), undefined);
    assert.equal(protectionFromValue({ protected: false, color: 'red' }), undefined);
    assert.equal(protectionFromValue([true]), undefined);
    assert.deepEqual(protectionFromValue({ protected: true }), {});
    assert.deepEqual(protectionFromValue({ protected: true, color: 'red' }), { color: 'red' });
    assert.deepEqual(protectionFromValue({ protected: true, color: 'chartreuse' }), {});
  });
});

describe('withProtection', () => {
  test('keeps the description, other Metadata keys and other members of its own key', () => {
    const meta = interpretMeta(
      parseJsonStrict(
        '{"Name":"a","Metadata":{"Description":"d","GODEBUG":"x=1","remoteDocker":{"later":[1,2],"color":"blue"}},"Endpoints":{"docker":{"Host":"ssh://a","SkipTLSVerify":false}}}',
      ),
    );
    const on = withProtection(meta, { color: 'red' });
    assert.deepEqual(metaProtection(on), { color: 'red' });
    assert.equal(on.metadata?.description, 'd');
    const off = withProtection(on, undefined);
    assert.equal(metaProtection(off), undefined);
    const keys = off.metadata?.extras.map((m) => m.key).sort();
    assert.deepEqual(keys, ['GODEBUG', 'remoteDocker']);
  });
  test('an object left empty is removed; no Metadata is added for nothing', () => {
    const bare = interpretMeta(parseJsonStrict('{"Name":"a","Endpoints":{"docker":{"Host":"ssh://a"}}}'));
    assert.equal(withProtection(bare, undefined), bare);
    const back = withProtection(withProtection(bare, {}), undefined);
    assert.deepEqual(back.metadata?.extras, []);
  });
});

describe('setContextProtection', () => {
  test("writes the key the listing reads, in the CLI's byte layout, and takes it back", async () => {
    const { store, file } = await plant('prod', CLI_META);
    await setContextProtection(store.metaDir, 'prod', { color: 'orange' });
    const text = await fs.readFile(file, 'utf8');
    assert.equal(
      text,
      '{"Name":"prod","Metadata":{"Description":"the real one","remoteDocker":{"color":"orange","protected":true}},"Endpoints":{"docker":{"Host":"ssh://prod","SkipTLSVerify":false}}}',
    );
    assert.deepEqual(summarizeCanonicalMeta(text)?.protection, { color: 'orange' });
    const listed = (await store.list()).find((c) => c.name === 'prod');
    assert.deepEqual(listed?.protection, { color: 'orange' });
    await setContextProtection(store.metaDir, 'prod', undefined);
    assert.equal(
      await fs.readFile(file, 'utf8'),
      '{"Name":"prod","Metadata":{"Description":"the real one"},"Endpoints":{"docker":{"Host":"ssh://prod","SkipTLSVerify":false}}}',
    );
    assert.equal((await store.list()).find((c) => c.name === 'prod')?.protection, undefined);
  });
  test('a file in another layout is listed as protected through the lossless reader, and not rewritten when nothing changes', async () => {
    const pretty = JSON.stringify(
      JSON.parse(CLI_META.replace('"the real one"', '"d","remoteDocker":{"protected":true}')),
      null,
      2,
    );
    const { store, file } = await plant('prod', pretty + '\n');
    const listed = (await store.list()).find((c) => c.name === 'prod');
    assert.deepEqual(listed?.protection, {});
    await setContextProtection(store.metaDir, 'prod', {});
    assert.equal(await fs.readFile(file, 'utf8'), pretty + '\n');
  });
  test('refuses default, missing and broken contexts, leaving the file as it was', async () => {
    const { store, file } = await plant('prod', '{"Name":"prod",');
    await rejectsWith(setContextProtection(store.metaDir, 'default', {}), 'defaultContextImmutable');
    await rejectsWith(setContextProtection(store.metaDir, 'nope', {}), 'contextNotFound');
    await rejectsWith(setContextProtection(store.metaDir, 'prod', {}), 'contextMetaCorrupt');
    assert.equal(await fs.readFile(file, 'utf8'), '{"Name":"prod",');
  });
});
