/**
 * The SSH Hosts view and the SSH commands in code-server, against a real sshd + dockerd: hosts
 * from the config and its Includes (with the "used by a context" marker), live updates when a
 * file changes, the context menu (Copy Public Key with the fingerprint and the password box,
 * Test Connection, Open in SSH Config, Remove Host), Add SSH Host with a pasted ssh command,
 * Generate SSH Key, the inline "Create Docker Context" with its connection check, and Open SSH
 * Configuration File creating a missing file. Real tools are the oracles (ssh-keygen, ssh, the
 * docker CLI, the files on disk).
 *
 * The file is longer than the project's ~400 lines on purpose: its checks share one code-server
 * session (starting one costs 10–20 s here), and each check is a separate `it` with its own setup.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { DOCKER_CLI, appendSshConfig, closedPort, generateKey, sshHostBlock, type KeyPair } from '../support';
import { e2eSession } from '../support/e2eSession';
import { type PageElement } from '../support/pageDom';
import { waitUntil } from '../support/workbench';

const T = { timeout: 600_000 };
const VIEW = 'SSH Hosts';

describe('e2e: SSH Hosts view and SSH commands', () => {
  let key: KeyPair;
  let deadPort: number;
  const s = e2eSession({
    name: 'ssh-hosts',
    dockerd: true,
    sshd: { passwordAuth: true },
    users: { user: { docker: true } },
    prepare: async ({ home, sshd, users, env }) => {
      const { user } = users;
      key = await generateKey(home.home, 'id_alpha');
      deadPort = await closedPort();
      // alpha and delta in the main file; beta in an included file (listed, not removable here).
      // The Include goes first: after a Host line it would belong to that block.
      appendSshConfig(home.home, 'Include conf.d/*.conf later.d/*.conf\n');
      appendSshConfig(
        home.home,
        `${sshHostBlock({ alias: 'alpha', port: sshd.port, user: user.name, identityFile: key.privateKey })}\n`,
      );
      appendSshConfig(
        home.home,
        `${sshHostBlock({ alias: 'delta', port: deadPort, user: user.name, identityFile: key.privateKey })}`,
      );
      fs.mkdirSync(path.join(home.sshDir, 'conf.d'), { mode: 0o700 });
      fs.writeFileSync(
        path.join(home.sshDir, 'conf.d', '10-beta.conf'),
        sshHostBlock({ alias: 'beta', port: sshd.port, user: 'nobody', hostName: 'localhost' }),
        { mode: 0o600 },
      );
      // A context made by the docker CLI that goes through alpha.
      const made = await runProcess(DOCKER_CLI, ['context', 'create', 'alpha-ctx', '--docker', 'host=ssh://alpha'], {
        env,
        timeoutMs: 60_000,
      });
      assert.equal(made.code, 0, made.stderr);
    },
  });
  const env = (): NodeJS.ProcessEnv => ({ ...s.env });

  const dialog = () => s.wb.page.locator('.monaco-dialog-box');
  const row = async (label: string) => (await s.wb.treeRows(VIEW)).find((r) => r.label === label);

  /** Moves the pointer off the tree and waits for a row's tooltip to close (an open one takes the clicks). */
  async function parkPointer(): Promise<void> {
    await s.wb.parkMouse();
    const tooltip = s.wb.page.locator('.workbench-hover:not(.hidden), .context-view .rendered-markdown').first();
    try {
      await tooltip.waitFor({ state: 'hidden', timeout: 3_000 });
    } catch {
      await s.wb.page.keyboard.press('Escape');
      await tooltip.waitFor({ state: 'hidden', timeout: 3_000 });
    }
  }

  /** Right-click a row of the SSH Hosts view and choose a context-menu entry. */
  async function contextMenu(label: string, entry: string): Promise<void> {
    await parkPointer();
    await s.wb.treeRowContextMenu(label, entry, VIEW);
  }

  /** The inline "Create Docker Context" button of a row. */
  async function inlineCreate(label: string): Promise<void> {
    await parkPointer();
    await s.wb.waitTreeQuiet(VIEW);
    await s.wb.treeRow(label, VIEW).hover();
    await s.wb.treeRow(label, VIEW).locator('.action-label[aria-label="Create Docker Context"]').click();
  }

  /** The names shown in a row's context menu (then closed again). */
  async function contextMenuEntries(label: string): Promise<string[]> {
    await parkPointer();
    await s.wb.waitTreeQuiet(VIEW);
    await s.wb.treeRow(label, VIEW).click({ button: 'right' });
    const menu = s.wb.page.locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'visible' });
    const labels = await menu
      .locator('.action-item .action-label')
      .evaluateAll((els: PageElement[]) => els.map((e) => e.textContent?.trim() ?? '').filter((t) => t !== ''));
    await s.wb.page.keyboard.press('Escape');
    return labels;
  }

  async function trustHost(): Promise<void> {
    await dialog().waitFor({ state: 'visible', timeout: 120_000 });
    const text = await dialog().innerText();
    assert.ok(text.includes(`ED25519 key fingerprint is ${s.sshd.hostKeyFingerprint}.`), text);
    await dialog().locator('.monaco-button', { hasText: 'Trust Host' }).click();
  }

  it('lists the hosts of the config and its Includes, with user@host:port and the context marker', T, async () => {
    await s.wb.step('ssh hosts view', async () => {
      await s.wb.openViewContainer('Remote Docker');
      await s.wb.waitForTreeRow('beta', VIEW, 60_000);
    });
    assert.deepEqual(
      (await s.wb.treeRows(VIEW)).map((r) => [r.label, r.description]),
      [
        ['beta', `nobody@localhost:${s.sshd.port}`],
        ['alpha', `${s.users.user.name}@127.0.0.1:${s.sshd.port} · context: alpha-ctx`],
        ['delta', `${s.users.user.name}@127.0.0.1:${deadPort}`],
      ],
    );
    await s.wb.step('tooltip', async () => {
      const text = (await s.wb.hoverText(s.wb.treeRow('alpha', VIEW))).replace(/\s+/g, ' ');
      const line = fs.readFileSync(path.join(s.home.sshDir, 'config'), 'utf8').split('\n').indexOf('Host alpha') + 1;
      for (const part of [
        'HostName: 127.0.0.1',
        `User: ${s.users.user.name}`,
        `Port: ${s.sshd.port}`,
        `IdentityFile: ${key.privateKey}`,
        `Defined in: ${path.join(s.home.sshDir, 'config')}:${line}`,
        'Used by Docker context: alpha-ctx',
      ]) {
        assert.ok(text.includes(part), `tooltip lacks "${part}": ${text}`);
      }
    });
    assert.deepEqual(await contextMenuEntries('alpha'), [
      'Test SSH Connection',
      'Copy Public Key to Host…',
      'Create Docker Context',
      'Open in SSH Config',
      'Remove SSH Host…',
    ]);
    assert.deepEqual(
      await contextMenuEntries('beta'),
      ['Test SSH Connection', 'Copy Public Key to Host…', 'Create Docker Context', 'Open in SSH Config'],
      'a host of an included file cannot be removed from here',
    );
  });

  it('follows the files: a new file matching the Include, and an edit of the main file', T, async () => {
    fs.writeFileSync(
      path.join(s.home.sshDir, 'conf.d', '20-gamma.conf'),
      sshHostBlock({ alias: 'gamma', port: s.sshd.port, user: s.users.user.name, identityFile: key.privateKey }),
      { mode: 0o600 },
    );
    await s.wb.step('included file added', () => s.wb.waitForTreeRow('gamma', VIEW, 30_000));
    // The first file in a folder that did not exist when the configuration was read.
    fs.mkdirSync(path.join(s.home.sshDir, 'later.d'), { mode: 0o700 });
    fs.writeFileSync(
      path.join(s.home.sshDir, 'later.d', 'omega.conf'),
      sshHostBlock({ alias: 'omega', port: deadPort, user: 'nobody' }),
      { mode: 0o600 },
    );
    await s.wb.step('new include folder', () => s.wb.waitForTreeRow('omega', VIEW, 30_000));
    fs.rmSync(path.join(s.home.sshDir, 'later.d'), { recursive: true });
    await waitUntil('omega to go with its folder', async () => (await row('omega')) === undefined);
    const config = path.join(s.home.sshDir, 'config');
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('Host delta', 'Host delta-renamed'));
    await s.wb.step('main file edited', () => s.wb.waitForTreeRow('delta-renamed', VIEW, 30_000));
    assert.equal(await row('delta'), undefined);
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('Host delta-renamed', 'Host delta'));
    await s.wb.waitForTreeRow('delta', VIEW, 30_000);
    // A file ssh would refuse shows as a warning row, and goes with the file.
    const bad = path.join(s.home.sshDir, 'conf.d', '30-shared.conf');
    fs.writeFileSync(bad, '# shared\n');
    fs.chmodSync(bad, 0o666);
    const problem = /ssh refuses .*30-shared\.conf because other users may write to it/;
    await s.wb.step('problem row', () =>
      waitUntil('the problem row', async () => (await s.wb.treeRows(VIEW)).some((r) => problem.test(r.label))),
    );
    assert.equal((await s.wb.treeRows(VIEW))[0]?.description, '30-shared.conf', 'problems come first');
    fs.rmSync(bad);
    await waitUntil(
      'the problem row to go',
      async () => !(await s.wb.treeRows(VIEW)).some((r) => problem.test(r.label)),
    );
  });

  it(
    'Copy Public Key to Host…: fingerprint, password box, key installed; a second run changes nothing',
    T,
    async () => {
      await contextMenu('alpha', 'Copy Public Key to Host…');
      await s.wb.step('copy id: key list', async () => {
        await s.wb.quickPick.waitOpen();
        const rows = await s.wb.quickPick.rows();
        assert.equal(rows[0]?.label, 'id_alpha', "the host's own IdentityFile comes first");
        assert.match(rows[0]?.detail ?? '', /used by this host/);
      });
      await s.wb.quickPick.pick('id_alpha');
      await s.wb.step('copy id: host key', () => trustHost());
      await s.wb.step('copy id: password', async () => {
        await waitUntil(
          'the password box',
          async () => (await s.wb.quickPick.isOpen()) && /Password for/.test(await s.wb.quickPick.title()),
          60_000,
        );
        assert.ok(await s.wb.inputBox.isPassword());
        await s.wb.inputBox.fill(s.users.user.password, { submit: false });
      });
      await s.wb.quickPick.accept();
      await s.wb.step('copy id: installed', async () => {
        const note = await s.wb.notification(/now logs in/, 120_000);
        assert.match(note.text, /The key ~\/\.ssh\/id_alpha was added to .*authorized_keys on alpha and now logs in/);
      });
      const authorized = fs.readFileSync(path.join(s.users.user.home, '.ssh', 'authorized_keys'), 'utf8');
      assert.equal(authorized.split('\n').filter((l) => l.trim() === key.publicLine.trim()).length, 1);
      const ssh = await runProcess('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', 'alpha', 'true'], {
        env: env(),
        timeoutMs: 60_000,
      });
      assert.equal(ssh.code, 0, ssh.stderr);

      await contextMenu('alpha', 'Copy Public Key to Host…');
      await s.wb.quickPick.pick('id_alpha');
      await s.wb.step('copy id again: already installed', async () => {
        const note = await s.wb.notification(/already logs in/, 120_000);
        assert.match(note.text, /The key ~\/\.ssh\/id_alpha already logs in to alpha; nothing was changed/);
      });
      assert.equal(fs.readFileSync(path.join(s.users.user.home, '.ssh', 'authorized_keys'), 'utf8'), authorized);
    },
  );

  it('Test SSH Connection: a report with every step ok', T, async () => {
    await contextMenu('alpha', 'Test SSH Connection');
    await s.wb.step('test connection report', async () => {
      await waitUntil(
        'the report',
        async () => (await s.wb.quickPick.isOpen()) && /Test SSH Connection: alpha/.test(await s.wb.quickPick.title()),
        120_000,
      );
      assert.match(await s.wb.inputBox.placeholder(), /Everything works/);
      const rows = await s.wb.quickPick.rows();
      assert.deepEqual(
        rows.map((r) => r.label),
        [
          'Host name resolves',
          'SSH server answers',
          'Host key is trusted',
          'Login works',
          'docker command on the remote PATH',
          'Docker socket is reachable',
          'Docker daemon answers',
        ],
      );
      assert.ok(
        rows.every((r) => /^ok/.test(r.description)),
        JSON.stringify(rows),
      );
    });
    await s.wb.quickPick.cancel();
  });

  it('inline Create Docker Context: prefilled, checked by one login, created', T, async () => {
    await inlineCreate('gamma');
    await s.wb.step('create context: prefilled name', async () => {
      await s.wb.quickPick.waitOpen();
      assert.equal(await s.wb.inputBox.value(), 'gamma');
    });
    await s.wb.quickPick.accept();
    await waitUntil('the prefilled endpoint', async () => (await s.wb.inputBox.value()) === 'ssh://gamma');
    await s.wb.quickPick.accept();
    await waitUntil(
      'the prefilled description',
      async () => (await s.wb.inputBox.value()) === `Docker on ${s.users.user.name}@127.0.0.1:${s.sshd.port} via SSH`,
    );
    await s.wb.quickPick.accept();
    await s.wb.step('create context: created', async () => {
      await waitUntil(
        'the "Use now" question',
        async () => (await s.wb.quickPick.isOpen()) && /created/.test(await s.wb.quickPick.title()),
        120_000,
      );
    });
    await s.wb.quickPick.pick('Not now');
    assert.match(s.server.extensionLog(), /Connection check for ssh:\/\/gamma: logged in as .* by publickey/);
    const ls = await runProcess(DOCKER_CLI, ['context', 'ls', '--format', '{{.Name}} {{.DockerEndpoint}}'], {
      env: env(),
      timeoutMs: 60_000,
    });
    assert.ok(ls.stdout.split('\n').includes('gamma ssh://gamma'), ls.stdout);
    await waitUntil('the marker on gamma', async () => /context: gamma$/.test((await row('gamma'))?.description ?? ''));
  });

  it(
    'inline Create Docker Context for a host that does not answer: Diagnose shows why, nothing is created',
    T,
    async () => {
      await inlineCreate('delta');
      await waitUntil('the prefilled name', async () => (await s.wb.inputBox.value()) === 'delta');
      await s.wb.quickPick.accept();
      await waitUntil('the prefilled endpoint', async () => (await s.wb.inputBox.value()) === 'ssh://delta');
      await s.wb.quickPick.accept();
      await waitUntil('the prefilled description', async () => /via SSH$/.test(await s.wb.inputBox.value()));
      await s.wb.quickPick.accept();
      await s.wb.step('create for a dead host: warning', async () => {
        await dialog().waitFor({ state: 'visible', timeout: 120_000 });
        assert.match(await dialog().innerText(), /The SSH connection to delta does not work yet/);
      });
      await dialog().locator('.monaco-button', { hasText: 'Diagnose' }).click();
      await s.wb.step('create for a dead host: report', async () => {
        await waitUntil(
          'the report',
          async () =>
            (await s.wb.quickPick.isOpen()) && /Test SSH Connection: delta/.test(await s.wb.quickPick.title()),
          120_000,
        );
        const rows = await s.wb.quickPick.rows();
        const tcp = rows.find((r) => r.label === 'SSH server answers');
        assert.match(tcp?.description ?? '', /^failed/);
        assert.match(tcp?.detail ?? '', /Start the SSH server/);
        assert.ok(rows.some((r) => r.label === 'Create Anyway'));
      });
      await s.wb.quickPick.cancel();
      const ls = await runProcess(DOCKER_CLI, ['context', 'ls', '--format', '{{.Name}}'], {
        env: env(),
        timeoutMs: 60_000,
      });
      assert.ok(!ls.stdout.split('\n').includes('delta'), ls.stdout);
    },
  );

  it('Create Docker Context… offers the SSH hosts as endpoints, marking those already used', T, async () => {
    await s.wb.runCommand('Remote Docker: Create Docker Context…');
    await s.wb.page.mouse.move(700, 600);
    await s.wb.quickPick.waitOpen();
    await s.wb.inputBox.fill('via-pick');
    await s.wb.step('create context: ssh hosts offered', async () => {
      await waitUntil('the endpoint list', async () =>
        /Where is the Docker daemon/.test(await s.wb.inputBox.placeholder()),
      );
      const rows = await s.wb.quickPick.rows();
      const alpha = rows.find((r) => r.label.endsWith('alpha'));
      assert.ok(alpha, JSON.stringify(rows));
      assert.equal(alpha.description, `${s.users.user.name}@127.0.0.1:${s.sshd.port}`);
      assert.match(alpha.detail, /already used by Docker context alpha-ctx/);
      assert.ok(rows.some((r) => r.label.endsWith('beta') && !/already used/.test(r.detail)));
    });
    await s.wb.quickPick.pick(/alpha$/);
    await waitUntil('the description from the host', async () => /via SSH$/.test(await s.wb.inputBox.value()));
    await s.wb.quickPick.accept();
    await waitUntil(
      'the "Use now" question',
      async () => (await s.wb.quickPick.isOpen()) && /created/.test(await s.wb.quickPick.title()),
      120_000,
    );
    await s.wb.quickPick.pick('Not now');
    const ls = await runProcess(DOCKER_CLI, ['context', 'ls', '--format', '{{.Name}} {{.DockerEndpoint}}'], {
      env: env(),
      timeoutMs: 60_000,
    });
    assert.ok(ls.stdout.split('\n').includes('via-pick ssh://alpha'), ls.stdout);
    await waitUntil('both contexts on the alpha row', async () =>
      /context: alpha-ctx, via-pick$/.test((await row('alpha'))?.description ?? ''),
    );
  });

  it('Add SSH Host… with a pasted ssh command, then Remove SSH Host… restores the file byte for byte', T, async () => {
    const config = path.join(s.home.sshDir, 'config');
    const before = fs.readFileSync(config, 'utf8');
    await s.wb.runCommand('Remote Docker: Add SSH Host…');
    await s.wb.page.mouse.move(700, 600);
    await s.wb.step('add host: pasted command', async () => {
      await s.wb.quickPick.waitOpen();
      await s.wb.inputBox.fill(`ssh -p ${s.sshd.port} ${s.users.user.name}@127.0.0.1`, { submit: false });
    });
    await s.wb.quickPick.accept();
    await s.wb.step('add host: alias', async () => {
      await waitUntil('the alias step', async () => /Alias/.test(await s.wb.inputBox.message()));
      assert.equal(await s.wb.inputBox.value(), '127.0.0.1');
      await s.wb.inputBox.fill('alpha', { submit: false });
      await waitUntil('the duplicate alias message', async () =>
        /already has a host "alpha"/.test(await s.wb.inputBox.message()),
      );
      await s.wb.inputBox.fill('epsilon', { submit: false });
    });
    await s.wb.quickPick.accept();
    await waitUntil('the key step', async () => /Which key should epsilon use/.test(await s.wb.inputBox.placeholder()));
    await s.wb.quickPick.pick('id_alpha');
    await s.wb.step('add host: added', async () => {
      await s.wb.notification(/Added the SSH host "epsilon"/, 60_000);
      await s.wb.waitForTreeRow('epsilon', VIEW, 30_000);
    });
    const added = fs.readFileSync(config, 'utf8');
    assert.ok(
      added.includes(
        `Host epsilon\n  HostName 127.0.0.1\n  User ${s.users.user.name}\n  Port ${s.sshd.port}\n  IdentityFile ~/.ssh/id_alpha\n  IdentitiesOnly yes\n`,
      ),
      added,
    );
    const ssh = await runProcess('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', 'epsilon', 'true'], {
      env: env(),
      timeoutMs: 60_000,
    });
    assert.equal(ssh.code, 0, `ssh epsilon true: ${ssh.stderr}`);

    await contextMenu('epsilon', 'Remove SSH Host…');
    await s.wb.step('remove host: confirm', async () => {
      await dialog().waitFor({ state: 'visible' });
      assert.match(await dialog().innerText(), /Remove the SSH host "epsilon"\?/);
    });
    await dialog().locator('.monaco-button', { hasText: 'Remove Host' }).click();
    await waitUntil('the row to go', async () => (await row('epsilon')) === undefined);
    assert.equal(fs.readFileSync(config, 'utf8'), before);
  });

  it('Open in SSH Config puts the cursor on the Host line', T, async () => {
    await contextMenu('delta', 'Open in SSH Config');
    await s.wb.step('open in config', async () => {
      await s.wb.page
        .locator('.editor-group-container.active .tab.active', { hasText: 'config' })
        .waitFor({ state: 'visible' });
      const line = fs.readFileSync(path.join(s.home.sshDir, 'config'), 'utf8').split('\n').indexOf('Host delta') + 1;
      await waitUntil(`the cursor on line ${line}`, async () =>
        (
          await s.wb.page
            .locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ })
            .first()
            .innerText()
        ).includes(`Ln ${line}, Col 1`),
      );
    });
  });

  it('Generate SSH Key…: never over an existing file, fingerprint as ssh-keygen prints it', T, async () => {
    await s.wb.runCommand('Remote Docker: Generate SSH Key…');
    await s.wb.page.mouse.move(700, 600);
    await s.wb.quickPick.waitOpen();
    await s.wb.step('generate key: existing name refused', async () => {
      await s.wb.inputBox.fill('id_alpha', { submit: false });
      await waitUntil('the refusal', async () =>
        /already exists and is never overwritten/.test(await s.wb.inputBox.message()),
      );
    });
    await s.wb.quickPick.accept(); // ignored while invalid
    await s.wb.inputBox.fill('id_new', { submit: false });
    await waitUntil('the name accepted', async () => !/already exists/.test(await s.wb.inputBox.message()));
    await s.wb.quickPick.accept();
    await waitUntil('the passphrase box', async () =>
      /passphrase protects the key/i.test(await s.wb.inputBox.message()),
    );
    await s.wb.quickPick.accept();
    const file = path.join(s.home.sshDir, 'id_new');
    const note = await s.wb.step('generate key: created', () => s.wb.notification(/Created ~\/\.ssh\/id_new/, 60_000));
    const l = await runProcess('/usr/bin/ssh-keygen', ['-l', '-f', `${file}.pub`], { timeoutMs: 30_000 });
    assert.equal(l.code, 0, l.stderr);
    assert.ok(note.text.includes(l.stdout.split(' ')[1] ?? '?'), `${note.text} vs ${l.stdout}`);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const y = await runProcess('/usr/bin/ssh-keygen', ['-y', '-f', file], { timeoutMs: 30_000 });
    assert.equal(
      y.stdout.trim().split(' ').slice(0, 2).join(' '),
      fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' '),
    );
    assert.equal(
      fs.readFileSync(path.join(s.home.sshDir, 'id_alpha'), 'utf8'),
      fs.readFileSync(key.privateKey, 'utf8'),
    );
  });

  it(
    'a changed host key is refused: the report and the error name the known_hosts line and the ssh-keygen fix',
    T,
    async () => {
      const knownHosts = fs.readFileSync(path.join(s.home.sshDir, 'known_hosts'), 'utf8');
      await s.sshd.changeHostKey();
      const name = `[127.0.0.1]:${s.sshd.port}`;
      await contextMenu('alpha', 'Test SSH Connection');
      await s.wb.step('changed key: report', async () => {
        await waitUntil(
          'the report',
          async () =>
            (await s.wb.quickPick.isOpen()) && /Test SSH Connection: alpha/.test(await s.wb.quickPick.title()),
          120_000,
        );
        const hostKey = (await s.wb.quickPick.rows()).find((r) => r.label === 'Host key is trusted');
        assert.match(hostKey?.description ?? '', /^failed/);
        assert.ok(hostKey?.detail.includes(`ssh-keygen -R '${name}'`), hostKey?.detail);
        assert.ok(hostKey?.detail.includes(`${path.join(s.home.sshDir, 'known_hosts')}:1`), hostKey?.detail);
      });
      await s.wb.quickPick.cancel();
      await contextMenu('alpha', 'Copy Public Key to Host…');
      await s.wb.quickPick.pick('id_alpha');
      await s.wb.step('changed key: error', async () => {
        const note = await s.wb.notification(/has changed since it was recorded/, 120_000);
        assert.ok(
          note.text.includes(`ssh-keygen -f "${path.join(s.home.sshDir, 'known_hosts')}" -R "${name}"`),
          note.text,
        );
      });
      assert.equal(await dialog().isVisible(), false, 'a changed key is never offered for trust');
      assert.equal(
        fs.readFileSync(path.join(s.home.sshDir, 'known_hosts'), 'utf8'),
        knownHosts,
        'known_hosts is left alone',
      );
    },
  );

  it('Open SSH Configuration File creates a missing ~/.ssh/config (600, folder 700) after asking', T, async () => {
    // Last test: ~/.ssh moves away, as on a machine where ssh was never used.
    fs.renameSync(s.home.sshDir, `${s.home.sshDir}-moved`);
    const config = path.join(s.home.sshDir, 'config');
    await s.wb.step('open config: no hosts left', () =>
      waitUntil('the view to follow the files', async () => (await s.wb.treeRows(VIEW)).length === 0, 60_000),
    );
    await s.wb.runCommand('Remote Docker: Open SSH Configuration File');
    await s.wb.step('open config: asks', async () => {
      await dialog().waitFor({ state: 'visible' });
      assert.match(await dialog().innerText(), /does not exist yet\. Create it\?/);
    });
    assert.equal(fs.existsSync(s.home.sshDir), false, 'nothing is created before the answer');
    await dialog().locator('.monaco-button', { hasText: 'Create' }).click();
    await s.wb.step('open config: created', () =>
      s.wb.page
        .locator('.editor-group-container.active .tab.active', { hasText: 'config' })
        .waitFor({ state: 'visible' }),
    );
    assert.equal(fs.readFileSync(config, 'utf8'), '');
    assert.equal(fs.statSync(config).mode & 0o777, 0o600);
    assert.equal(fs.statSync(s.home.sshDir).mode & 0o777, 0o700);
    // The new file is followed too.
    fs.writeFileSync(config, sshHostBlock({ alias: 'zeta', port: s.sshd.port, user: s.users.user.name }));
    await s.wb.step('open config: new file followed', () => s.wb.waitForTreeRow('zeta', VIEW, 30_000));
  });
});
