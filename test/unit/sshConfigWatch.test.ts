import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readSshConfig } from '../../src/core/sshConfig/sshConfig';
import { includeTarget, sshConfigWatchTargets } from '../../src/core/sshConfig/sshConfigWatch';

describe('what the SSH Hosts view watches', () => {
  let home: string;
  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-sshwatch-'));
    const ssh = path.join(home, '.ssh');
    fs.mkdirSync(path.join(ssh, 'extra'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(
      path.join(ssh, 'config'),
      [
        'Include conf.d/*.conf',
        'Include ~/.ssh/extra/one.conf "/nonexistent/x*/y.conf" ~/*/ssh.conf',
        'Host a',
        '  HostName a.example',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    fs.writeFileSync(path.join(ssh, 'extra', 'one.conf'), 'Include nested/*\n', { mode: 0o600 });
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  it('watches the files read and, for each Include glob under ~/.ssh, the directory it looks in (even before it exists)', async () => {
    const configFile = path.join(home, '.ssh', 'config');
    const snap = await readSshConfig({ configFile, home });
    assert.deepEqual(snap.files, [configFile, path.join(home, '.ssh', 'extra', 'one.conf')]);
    const targets = await sshConfigWatchTargets({ configFile, files: snap.files, home });
    // Globs rooted elsewhere (/nonexistent/x*, ~/*) would need a recursive watch of a big tree: left out.
    assert.deepEqual(targets, [
      { path: configFile, kind: 'file' },
      { path: path.join(home, '.ssh', 'extra', 'one.conf'), kind: 'file' },
      // conf.d does not exist yet: the first file created there must still be seen.
      { path: path.join(home, '.ssh', 'conf.d'), kind: 'tree' },
      // Relative includes of an included file are relative to ~/.ssh too, as ssh reads them.
      { path: path.join(home, '.ssh', 'nested'), kind: 'tree' },
    ]);
  });

  it('watches a missing main file', async () => {
    const configFile = path.join(home, 'nowhere', 'config');
    assert.deepEqual(await sshConfigWatchTargets({ configFile, files: [], home }), [
      { path: configFile, kind: 'file' },
    ]);
  });

  it('stops a glob at the deepest directory without a wildcard', () => {
    assert.deepEqual(includeTarget('/h/.ssh/conf.d/*.conf'), { path: '/h/.ssh/conf.d', kind: 'tree' });
    assert.deepEqual(includeTarget('/h/.ssh/c?nf/[ab]/x'), { path: '/h/.ssh', kind: 'tree' });
    assert.deepEqual(includeTarget('/h/.ssh/plain.conf'), { path: '/h/.ssh/plain.conf', kind: 'file' });
    assert.deepEqual(includeTarget('/*'), { path: '/', kind: 'tree' });
  });
});
