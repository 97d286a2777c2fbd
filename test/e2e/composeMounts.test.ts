/**
 * In a real VS Code whose Docker context is an ssh:// one: a compose file with `./missing:/app`
 * shows the warning in the Problems panel, naming the absolute path the remote daemon will mount
 * and that Docker will create an empty directory there (the path does not exist on the remote,
 * asked over SFTP), and a Dockerfile shows its build context's size and the upload time over the
 * probed link in a CodeLens.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { addKnownHost, appendSshConfig, generateKey, knownHostsLine, sshHostBlock } from '../support';
import { e2eSession } from '../support/e2eSession';

const T = { timeout: 600_000 };
const ALIAS = 'e2e-compose';
const CONTEXT = 'compose-e2e';

describe('e2e: bind mounts and build contexts on a remote daemon', () => {
  const s = e2eSession({
    name: 'compose mounts',
    dockerd: true,
    sshd: true,
    users: { user: { docker: true } },
    prepare: async ({ home, sshd, dockerd, users: { user }, cli }) => {
      const key = await generateKey(home.home, 'id_ed25519');
      user.authorizeKey(key.publicLine);
      appendSshConfig(
        home.home,
        sshHostBlock({ alias: ALIAS, port: sshd.port, user: user.name, identityFile: key.privateKey }),
      );
      addKnownHost(home.home, knownHostsLine(sshd));
      // The "remote" is this machine: its user must be able to look into the workspace's folder
      // (traverse only) for `missing` to be reported missing rather than unreadable.
      fs.chmodSync(home.home, 0o711);
      await cli.run(['context', 'create', CONTEXT, '--docker', `host=ssh://${ALIAS}${dockerd.socket}`]);
      await cli.run(['context', 'use', CONTEXT]);
    },
    workspaceFiles: {
      'compose.yaml': 'services:\n  app:\n    image: local/busybox\n    volumes:\n      - ./missing:/app\n',
      Dockerfile: '# a comment\nFROM local/busybox\nCOPY . /app\n',
      'src/a.txt': 'hello\n',
    },
    strictUi: true,
  });

  it('the Problems panel names the remote path and says Docker will create an empty directory', T, async () => {
    const { wb } = s;
    const expected = `mounts ${path.join(s.workspace, 'missing')} from its own machine, where it is missing: Docker will create an empty directory there.`;
    await wb.step('problems', async () => {
      await wb.openFile('compose.yaml');
      await wb.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
      await wb.page
        .locator('.markers-panel .monaco-list-row', { hasText: expected })
        .first()
        .waitFor({ state: 'visible', timeout: 120_000 });
    });
    const text = (await wb.page.locator('.markers-panel').textContent()) ?? '';
    assert.ok(text.includes(CONTEXT), `the warning names the context: ${text}`);
  });

  it('a Dockerfile shows its build context above the first instruction', T, async () => {
    const { wb } = s;
    await wb.step('codelens', async () => {
      await wb.openFile('Dockerfile');
      await wb.page
        .locator('.contentWidgets .codelens-decoration', {
          hasText: new RegExp(`build context [\\d.]+ \\w*B, \\d+ files · ≈ .* to ${CONTEXT}`),
        })
        .first()
        .waitFor({ state: 'visible', timeout: 120_000 });
    });
  });
});
