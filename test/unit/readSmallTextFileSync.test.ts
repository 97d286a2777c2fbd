import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { readSmallTextFileSync } from '../../src/core/common/readSmallTextFileSync';
import { tempDirs } from '../support/tempDirs';

const newDir = tempDirs('rdc-small-read-');
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('readSmallTextFileSync with exactUtf8', () => {
  test('refuses bytes that are not UTF-8 (EILSEQ) and keeps UTF-8 text and its BOM exactly', async () => {
    const dir = await newDir();
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, latin1('{"n": "caf\xe9"}'));
    assert.throws(() => readSmallTextFileSync(bad, undefined, { exactUtf8: true }), { code: 'EILSEQ' });
    assert.equal(readSmallTextFileSync(bad), '{"n": "caf\ufffd"}', 'the lossy default is unchanged');
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, '\ufeff{"n": "café"}');
    assert.equal(readSmallTextFileSync(good, undefined, { exactUtf8: true }), '\ufeff{"n": "café"}');
  });
});
