/**
 * "Connect to a Remote Docker Host…" end to end, from an empty HOME, as a user does it: the
 * packaged extension in code-server, driven through Chromium, against a real OpenSSH sshd with a
 * real account (password login) and a real dockerd behind it. Every step is photographed. The
 * oracles are the real tools: afterwards `docker context ls` lists the new context as current,
 * `docker --context NAME info` reaches the test daemon, and `ssh -o StrictHostKeyChecking=yes
 * ALIAS true` logs in with the key the flow generated and the host key it was told to trust.
 *
 * The file is longer than the project's ~400 lines on purpose: its checks share one code-server
 * session (starting one costs 10–20 s here), and each check is a separate `it` with its own setup.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { DOCKER_CLI } from '../support';
import { e2eSession } from '../support/e2eSession';
import { type PageGlobals } from '../support/pageDom';
import { screenshotsDirFor, waitUntil } from '../support/workbench';

const T = { timeout: 600_000 };
const ALIAS = 'e2e-docker';
const TITLE = 'Connect to a Remote Docker Host';

describe('e2e: Connect to a Remote Docker Host', () => {
  const s = e2eSession({
    name: 'connect-flow',
    dockerd: true,
    sshd: { passwordAuth: true },
    users: {
      user: { docker: true },
      /** A second account for the cancelled run. */
      other: { docker: true },
      /** An account outside the docker group: diagnose must say so, with the fix. */
      outsider: { docker: false },
      /** An account for the scripted run (command arguments instead of the questions). */
      scripted: { docker: true },
    },
    // The flow starts from an empty HOME: nothing to prepare.
    serverStarted: ({ server, sshd, users, home }) => {
      // A keybinding that runs the command with arguments, as a script or another extension would.
      fs.writeFileSync(
        path.join(server.userDataDir, 'User', 'keybindings.json'),
        JSON.stringify([
          {
            key: 'ctrl+alt+k',
            command: 'remoteDocker.connectToRemoteHost',
            args: {
              destination: `ssh -p ${sshd.port} ${users.scripted.name}@127.0.0.1`,
              alias: 'e2e-scripted',
              keyPath: path.join(home.sshDir, 'id_ed25519'),
              contextName: 'e2e-scripted',
              description: 'scripted run',
              useNow: false,
            },
          },
        ]),
      );
    },
  });
  /** The modal dialog (host key question) with its message, detail and buttons. */
  const dialog = () => s.wb.page.locator('.monaco-dialog-box');

  async function expectStep(prompt: RegExp): Promise<void> {
    await s.wb.quickPick.waitOpen();
    await waitUntil(
      `a step matching ${prompt}`,
      async () => prompt.test(await s.wb.inputBox.message()) || prompt.test(await s.wb.inputBox.placeholder()),
    );
    assert.match(await s.wb.quickPick.title(), new RegExp(TITLE));
  }

  async function runConnect(): Promise<void> {
    await s.wb.runCommand(`Remote Docker: ${TITLE}…`);
    // Keep the pointer off the quick input, so no hover hides its title in the screenshots.
    await s.wb.page.mouse.move(700, 600);
  }

  /** From the command to the key step: a new destination and its alias. */
  async function answerUpToKey(dest: string, alias: string): Promise<void> {
    await runConnect();
    await waitUntil('the host list', async () =>
      /Which machine runs the Docker daemon/.test(await s.wb.inputBox.placeholder()),
    );
    await s.wb.quickPick.pick('Enter a new destination (user@host:port)…');
    await expectStep(/SSH destination/);
    await s.wb.inputBox.fill(dest);
    await expectStep(/Alias for/);
    await s.wb.inputBox.fill(alias);
  }

  /**
   * From the command to the password box: a new destination, its alias, an existing key, and the
   * suggested context name and description.
   */
  async function answerUpToPassword(dest: string, alias: string, key: string): Promise<void> {
    await answerUpToKey(dest, alias);
    await expectStep(/Which SSH key/);
    await s.wb.quickPick.pick(key);
    await expectStep(/Name of the new Docker context/);
    await s.wb.quickPick.accept();
    await expectStep(/Description of the Docker context/);
    await s.wb.quickPick.accept();
    await waitUntil(
      'the password box',
      async () => (await s.wb.quickPick.isOpen()) && /Password for/.test(await s.wb.quickPick.title()),
      120_000,
    );
  }

  /** Files the flow may write, to compare before and after a run. */
  function snapshotFiles(): Record<string, string | undefined> {
    const read = (f: string): string | undefined => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined);
    return {
      config: read(path.join(s.home.sshDir, 'config')),
      knownHosts: read(path.join(s.home.sshDir, 'known_hosts')),
      dockerConfig: read(path.join(s.home.dockerConfig, 'config.json')),
      contexts: fs.existsSync(path.join(s.home.dockerConfig, 'contexts', 'meta'))
        ? fs
            .readdirSync(path.join(s.home.dockerConfig, 'contexts', 'meta'))
            .sort()
            .join(',')
        : '',
      sshDir: fs.readdirSync(s.home.sshDir).sort().join(','),
      authorized: read(path.join(s.users.user.home, '.ssh', 'authorized_keys')),
      otherAuthorized: read(path.join(s.users.other.home, '.ssh', 'authorized_keys')),
    };
  }

  it('sets up SSH and a Docker context from an empty HOME, and switches to it', T, async () => {
    const dest = `${s.users.user.name}@127.0.0.1:${s.sshd.port}`;
    assert.deepEqual(fs.readdirSync(s.home.sshDir), [], 'the flow starts from an empty ~/.ssh');

    await s.wb.step('SSH Hosts view is empty', async () => {
      await s.wb.openViewContainer('Remote Docker');
      await s.wb.page
        .locator('.pane-header', { hasText: /SSH Hosts/i })
        .first()
        .waitFor({ state: 'visible' });
      await s.wb.page
        .getByRole('button', { name: 'Connect to a Remote Docker Host…' })
        .first()
        .waitFor({ state: 'visible' });
    });

    await s.wb.step('destination', async () => {
      await runConnect();
      await expectStep(/SSH destination/);
      await s.wb.inputBox.fill(dest, { submit: false });
    });
    await s.wb.quickPick.accept();

    await s.wb.step('alias', async () => {
      await expectStep(/Alias for/);
      assert.equal(await s.wb.inputBox.value(), '127.0.0.1', 'suggested alias');
      await s.wb.inputBox.fill(ALIAS, { submit: false });
    });
    await s.wb.quickPick.accept();

    await s.wb.step('key choice', async () => {
      await expectStep(/Which SSH key/);
      const rows = await s.wb.quickPick.rows();
      assert.deepEqual(
        rows.map((r) => r.label),
        ['Generate a new key…'],
        'an empty ~/.ssh has no key to offer',
      );
    });
    await s.wb.quickPick.pick('Generate a new key…');

    await s.wb.step('key name', async () => {
      await expectStep(/File name of the new ed25519 key/);
      assert.equal(await s.wb.inputBox.value(), 'id_ed25519');
    });
    await s.wb.quickPick.accept();

    await s.wb.step('key passphrase (none)', async () => {
      await waitUntil('the passphrase box', async () =>
        /passphrase protects the key/i.test(await s.wb.inputBox.message()),
      );
      assert.ok(await s.wb.inputBox.isPassword(), 'the passphrase box hides what is typed');
    });
    await s.wb.quickPick.accept();

    await s.wb.step('context name', async () => {
      await expectStep(/Name of the new Docker context/);
      assert.equal(await s.wb.inputBox.value(), ALIAS);
    });
    await s.wb.quickPick.accept();

    await s.wb.step('context description', async () => {
      await expectStep(/Description of the Docker context/);
      assert.equal(await s.wb.inputBox.value(), `Docker on ${dest} via SSH`);
    });
    await s.wb.quickPick.accept();

    // The first connection: the host key is shown, in OpenSSH's words, before anything else.
    await s.wb.step('host key fingerprint', async () => {
      await dialog().waitFor({ state: 'visible', timeout: 120_000 });
      const text = await dialog().innerText();
      assert.match(
        text,
        new RegExp(`The authenticity of host '\\[127\\.0\\.0\\.1\\]:${s.sshd.port}' can't be established`),
      );
      assert.ok(text.includes(`ED25519 key fingerprint is ${s.sshd.hostKeyFingerprint}.`), text);
      assert.match(text, /Trust this host and add it to known_hosts\?/);
      assert.equal(
        fs.existsSync(path.join(s.home.sshDir, 'known_hosts')),
        false,
        'nothing is trusted before the answer',
      );
      assert.ok(fs.existsSync(path.join(s.home.sshDir, 'id_ed25519')), 'the key is generated first');
      assert.equal(
        fs.existsSync(path.join(s.home.sshDir, 'config')),
        false,
        'the config block waits for a working login',
      );
    });
    await dialog().locator('.monaco-button', { hasText: 'Trust Host' }).click();

    // The new key does not log in yet: the password, once, in a box that hides it.
    await s.wb.step('password typed', async () => {
      await waitUntil(
        'the password box',
        async () => (await s.wb.quickPick.isOpen()) && /Password for/.test(await s.wb.quickPick.title()),
        120_000,
      );
      assert.equal(await s.wb.quickPick.title(), `Password for ${dest}`);
      assert.ok(await s.wb.inputBox.isPassword(), 'the password box hides what is typed');
      await s.wb.inputBox.fill(s.users.user.password, { submit: false });
    });
    await s.wb.quickPick.accept();

    await s.wb.step('use now', async () => {
      await waitUntil(
        'the "Use now" question',
        async () => (await s.wb.quickPick.isOpen()) && /is ready/.test(await s.wb.quickPick.title()),
        180_000,
      );
      assert.equal(await s.wb.quickPick.title(), `Docker context "${ALIAS}" is ready`);
    });
    await s.wb.quickPick.pick('Use now');

    await s.wb.step('context current in the views', async () => {
      await s.wb.waitForTreeRow(ALIAS, 'Docker Contexts');
      await waitUntil(
        'the context marked current',
        async () =>
          /current/.test((await s.wb.treeRows('Docker Contexts')).find((r) => r.label === ALIAS)?.description ?? ''),
        60_000,
      );
      await s.wb.waitForTreeRow(ALIAS, 'SSH Hosts');
      const hostRow = (await s.wb.treeRows('SSH Hosts')).find((r) => r.label === ALIAS);
      assert.ok(hostRow, 'the new host is listed');
      assert.match(
        hostRow.description,
        new RegExp(`^${s.users.user.name}@127\\.0\\.0\\.1:${s.sshd.port} · context: ${ALIAS}$`),
      );
    });

    // Files, as the real tools read them.
    const config = fs.readFileSync(path.join(s.home.sshDir, 'config'), 'utf8');
    assert.match(
      config,
      new RegExp(
        `^Host ${ALIAS}\\n  HostName 127\\.0\\.0\\.1\\n  User ${s.users.user.name}\\n  Port ${s.sshd.port}\\n  IdentityFile ~/\\.ssh/id_ed25519\\n  IdentitiesOnly yes\\n`,
        'm',
      ),
    );
    assert.equal(fs.statSync(path.join(s.home.sshDir, 'config')).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(s.home.sshDir, 'id_ed25519')).mode & 0o777, 0o600);
    const authorized = fs.readFileSync(path.join(s.users.user.home, '.ssh', 'authorized_keys'), 'utf8');
    const pub = fs.readFileSync(path.join(s.home.sshDir, 'id_ed25519.pub'), 'utf8').trim();
    assert.ok(authorized.split('\n').includes(pub), 'the public key is in authorized_keys on the host');

    const env = { ...s.home.env };
    const ssh = await runProcess('ssh', ['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', ALIAS, 'true'], {
      env,
      timeoutMs: 60_000,
    });
    assert.equal(ssh.code, 0, `ssh ${ALIAS} true: ${ssh.stderr}`);

    const ls = await runProcess(
      DOCKER_CLI,
      ['context', 'ls', '--format', '{{.Name}} {{.Current}} {{.DockerEndpoint}}'],
      { env, timeoutMs: 60_000 },
    );
    assert.equal(ls.code, 0, ls.stderr);
    assert.ok(ls.stdout.split('\n').includes(`${ALIAS} true ssh://${ALIAS}`), ls.stdout);
    const info = await runProcess(DOCKER_CLI, ['info', '--format', '{{.Name}}|{{.OperatingSystem}}'], {
      env,
      timeoutMs: 120_000,
    });
    assert.equal(info.code, 0, `docker info through the new current context: ${info.stderr}`);
    assert.match(info.stdout.trim(), /\|.+/);
  });

  it(
    'run again for the same host: every step already done is detected and skipped (no password, no host key question)',
    T,
    async () => {
      const before = snapshotFiles();
      const sshdMark = s.sshd.logMark();
      await s.wb.step('again: pick the existing host', async () => {
        await runConnect();
        await waitUntil('the host list', async () =>
          /Which machine runs the Docker daemon/.test(await s.wb.inputBox.placeholder()),
        );
        const rows = await s.wb.quickPick.rows();
        assert.ok(
          rows.some((r) => r.label === ALIAS),
          JSON.stringify(rows),
        );
      });
      await s.wb.quickPick.pick(ALIAS);
      await s.wb.step('again: nothing left to do', async () => {
        const note = await s.wb.notification(/is ready and already in use/, 180_000);
        assert.match(note.text, new RegExp(`Docker context "${ALIAS}" is ready and already in use`));
      });
      assert.equal(await dialog().isVisible(), false, 'no host key question for a trusted host');
      assert.deepEqual(snapshotFiles(), before, 'nothing was written');
      // The key-only login, then diagnose's, and no password login: counted in what sshd logged since.
      const since = s.sshd.logSince(sshdMark);
      assert.ok((since.match(/\bAccepted publickey for /g) ?? []).length >= 2, since);
      assert.doesNotMatch(since, /Accepted password/);
      const log = s.server.extensionLog();
      assert.match(log, /generateKey \(skip: keyExists\)/);
      assert.match(log, /writeConfig \(skip: aliasExists\)/);
      assert.match(log, /createContext \(skip: contextExists\)/);
      assert.match(log, /already logs in/);
    },
  );

  it(
    'Escape at the password box leaves every file consistent: no Host block, no context; the new key is kept and named in the log',
    T,
    async () => {
      const before = snapshotFiles();
      const dest = `${s.users.other.name}@127.0.0.1:${s.sshd.port}`;
      const passphrase = 'correct horse battery';
      await answerUpToKey(dest, 'e2e-cancel');
      await s.wb.step('cancel run: existing key offered', async () => {
        await expectStep(/Which SSH key/);
        const rows = await s.wb.quickPick.rows();
        assert.deepEqual(
          rows.map((r) => r.label),
          ['Generate a new key…', 'id_ed25519'],
        );
      });
      await s.wb.quickPick.pick('Generate a new key…');
      await s.wb.step('cancel run: a free key name is suggested', async () => {
        await expectStep(/File name of the new ed25519 key/);
        assert.equal(await s.wb.inputBox.value(), 'id_ed25519_e2e-cancel');
      });
      await s.wb.quickPick.accept();
      await waitUntil('the passphrase box', async () =>
        /passphrase protects the key/i.test(await s.wb.inputBox.message()),
      );
      await s.wb.inputBox.fill(passphrase);
      await waitUntil('the passphrase confirmation', async () =>
        /same passphrase again/i.test(await s.wb.inputBox.message()),
      );
      await s.wb.inputBox.fill(passphrase);
      await expectStep(/Name of the new Docker context/);
      await s.wb.quickPick.accept();
      await expectStep(/Description of the Docker context/);
      await s.wb.quickPick.accept();
      await s.wb.step('cancel run: password box', async () => {
        await waitUntil(
          'the password box',
          async () => (await s.wb.quickPick.isOpen()) && /Password for/.test(await s.wb.quickPick.title()),
          120_000,
        );
        assert.equal(await s.wb.quickPick.title(), `Password for ${dest}`);
        assert.equal(await dialog().isVisible(), false, 'the host key of this server is trusted already');
      });
      await s.wb.quickPick.cancel();
      await s.wb.step('cancel run: cancelled', async () => {
        await waitUntil(
          'the log of the stop',
          () => /Connect to a Remote Docker Host: stopped for "e2e-cancel"/.test(s.server.extensionLog()),
          60_000,
        );
      });

      const after = snapshotFiles();
      assert.equal(after.config, before.config, 'no Host block was written');
      assert.equal(after.knownHosts, before.knownHosts);
      assert.equal(after.contexts, before.contexts, 'no context was created');
      assert.equal(after.dockerConfig, before.dockerConfig);
      assert.equal(after.otherAuthorized, undefined, 'nothing was installed on the host');
      assert.equal(
        after.sshDir,
        [before.sshDir, 'id_ed25519_e2e-cancel', 'id_ed25519_e2e-cancel.pub'].join(',').split(',').sort().join(','),
      );
      const keyFile = path.join(s.home.sshDir, 'id_ed25519_e2e-cancel');
      assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
      assert.match(
        s.server.extensionLog(),
        new RegExp(`Written so far: the new key ${keyFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
      // The kept key is encrypted with the passphrase typed twice (ssh-keygen is the oracle).
      const withPhrase = await runProcess('/usr/bin/ssh-keygen', ['-y', '-P', passphrase, '-f', keyFile], {
        timeoutMs: 30_000,
      });
      assert.equal(withPhrase.code, 0, withPhrase.stderr);
      assert.equal(
        withPhrase.stdout.trim().split(' ').slice(0, 2).join(' '),
        fs.readFileSync(`${keyFile}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' '),
      );
      const without = await runProcess('/usr/bin/ssh-keygen', ['-y', '-P', '', '-f', keyFile], { timeoutMs: 30_000 });
      assert.notEqual(without.code, 0, 'the key needs its passphrase');
    },
  );

  it(
    'the Cancel button of the progress notification stops the flow at the password box; nothing is written',
    T,
    async () => {
      const before = snapshotFiles();
      const logBefore = s.server.extensionLog().length;
      await answerUpToPassword(
        `${s.users.other.name}@127.0.0.1:${s.sshd.port}`,
        'e2e-cancel-2',
        'id_ed25519_e2e-cancel',
      );
      await s.wb.step('progress cancel: password box and notification', async () => {
        const progress = await s.wb.notification(/Connect to a Remote Docker Host/);
        await progress.clickButton('Cancel');
      });
      await s.wb.step('progress cancel: stopped', async () => {
        await waitUntil(
          'the log of the stop',
          () => /stopped for "e2e-cancel-2"\. Nothing was written\./.test(s.server.extensionLog().slice(logBefore)),
          60_000,
        );
        await s.wb.quickPick.waitClosed();
      });
      assert.deepEqual(snapshotFiles(), before, 'nothing was written');
    },
  );

  it(
    'a host where docker is not usable yet: the report shows the fix (copyable), "Stop Here" keeps the working SSH setup and creates no context',
    T,
    async () => {
      const dest = `${s.users.outsider.name}@127.0.0.1:${s.sshd.port}`;
      const contextsBefore = snapshotFiles().contexts;
      await s.wb.page
        .context()
        .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(s.server.url).origin });
      await answerUpToPassword(dest, 'e2e-nogroup', 'id_ed25519');
      await s.wb.inputBox.fill(s.users.outsider.password);
      await s.wb.step('no docker group: report', async () => {
        await waitUntil(
          'the report',
          async () => (await s.wb.quickPick.isOpen()) && /does not work yet/.test(await s.wb.quickPick.title()),
          180_000,
        );
        assert.equal(await s.wb.quickPick.title(), 'Docker on e2e-nogroup does not work yet');
        const rows = await s.wb.quickPick.rows();
        const socket = rows.find((r) => r.label === 'Docker socket is reachable');
        assert.match(socket?.description ?? '', /^failed/);
        assert.ok(socket?.detail.includes(`sudo usermod -aG docker ${s.users.outsider.name}`), socket?.detail);
        assert.ok(rows.find((r) => r.label === 'Login works')?.description.startsWith('ok'));
        assert.deepEqual(
          rows.slice(-2).map((r) => r.label),
          ['Create the Context Anyway', 'Stop Here'],
        );
      });
      await s.wb.step('no docker group: fix copied', async () => {
        await s.wb.quickPick.pick('Docker socket is reachable');
        await waitUntil('the copy confirmation', async () =>
          /^Copied: sudo usermod -aG docker /.test(await s.wb.inputBox.placeholder()),
        );
        const clip = await s.wb.page.evaluate(() =>
          (globalThis as unknown as PageGlobals).navigator.clipboard.readText(),
        );
        assert.equal(clip, `sudo usermod -aG docker ${s.users.outsider.name}`);
      });
      await s.wb.quickPick.pick('Stop Here');
      await s.wb.step('no docker group: stopped', () =>
        s.wb.notification(/SSH to "e2e-nogroup" is set up; no Docker context was created/, 60_000),
      );
      assert.match(
        fs.readFileSync(path.join(s.home.sshDir, 'config'), 'utf8'),
        new RegExp(`^Host e2e-nogroup\\n  HostName 127\\.0\\.0\\.1\\n  User ${s.users.outsider.name}\\n`, 'm'),
      );
      assert.equal(snapshotFiles().contexts, contextsBefore, 'no context was created');
      const ssh = await runProcess(
        'ssh',
        ['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', 'e2e-nogroup', 'true'],
        { env: { ...s.home.env }, timeoutMs: 60_000 },
      );
      assert.equal(ssh.code, 0, `the SSH part works: ${ssh.stderr}`);
    },
  );

  it('with command arguments every question is prefilled; only the password is still asked', T, async () => {
    const currentContext = (): string | undefined =>
      (
        JSON.parse(fs.readFileSync(path.join(s.home.dockerConfig, 'config.json'), 'utf8')) as {
          currentContext?: string;
        }
      ).currentContext;
    const current = currentContext();
    await s.wb.page.locator('.monaco-workbench').click({ position: { x: 700, y: 600 } });
    await s.wb.page.keyboard.press('Control+Alt+K');
    await s.wb.step('scripted: only the password', async () => {
      await waitUntil(
        'the password box',
        async () => (await s.wb.quickPick.isOpen()) && /Password for/.test(await s.wb.quickPick.title()),
        120_000,
      );
      assert.equal(await s.wb.quickPick.title(), `Password for ${s.users.scripted.name}@127.0.0.1:${s.sshd.port}`);
      await s.wb.inputBox.fill(s.users.scripted.password, { submit: false });
    });
    await s.wb.quickPick.accept();
    await s.wb.step('scripted: done', () => s.wb.waitForTreeRow('e2e-scripted', 'Docker Contexts', 120_000));
    const ls = await runProcess(
      DOCKER_CLI,
      ['context', 'ls', '--format', '{{.Name}}|{{.Description}}|{{.DockerEndpoint}}'],
      { env: { ...s.home.env }, timeoutMs: 60_000 },
    );
    assert.ok(ls.stdout.split('\n').includes('e2e-scripted|scripted run|ssh://e2e-scripted'), ls.stdout);
    assert.equal(currentContext(), current, 'useNow: false leaves the current context');
    const info = await runProcess(DOCKER_CLI, ['--context', 'e2e-scripted', 'info', '--format', '{{.ServerVersion}}'], {
      env: { ...s.home.env },
      timeoutMs: 120_000,
    });
    assert.equal(info.code, 0, info.stderr);
  });

  it('never writes a password or passphrase to the log', T, () => {
    const log = s.server.extensionLog();
    // Kept beside the screenshots: what a user would paste into a bug report.
    fs.writeFileSync(path.join(screenshotsDirFor('connect-flow'), 'extension.log'), log);
    assert.ok(log.includes('Connect to a Remote Docker Host'), 'the log was found');
    assert.ok(!log.includes(s.users.user.password), 'password of the first run');
    assert.ok(!log.includes('correct horse battery'), 'passphrase of the cancelled run');
    assert.ok(!log.includes(s.users.outsider.password), 'password of the run without docker access');
    assert.ok(!log.includes(s.users.scripted.password), 'password of the scripted run');
  });
});
