/**
 * A new user's first run, end to end: the walkthrough opens from VS Code's Welcome page, its
 * first step's button runs "Connect to a Remote Docker Host…" against a fresh server (a real
 * sshd, an account with sudo rights that requires a password, outside the docker group), the
 * guided flow offers "Add USER to the docker group (sudo)", asks the sudo password once, logs in
 * again and goes on to the context; the status bar then shows the remote OS and architecture
 * as `docker --context X info` reports them, and the walkthrough's step shows as done.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { e2eSession } from '../support/e2eSession';
import type { PageGlobals } from '../support/pageDom';
import { grantSudo, type SudoersEntry } from '../support/sudoers';
import { screenshotsDirFor, waitFor, waitUntil } from '../support/workbench';

const T = { timeout: 600_000 };
const ALIAS = 'fresh-server';
const WALKTHROUGH = 'Get Started with Remote Docker';
const STATUS_ID = 'remoteDocker.status';

describe('e2e: getting started on a fresh server', () => {
  let grant: SudoersEntry | undefined;
  const s = e2eSession({
    name: 'walkthrough',
    dockerd: true,
    sshd: { passwordAuth: true },
    users: {
      /** sudo rights (a password is required), outside the docker group. */
      admin: { docker: false },
      /** Neither sudo rights nor the docker group. */
      plain: { docker: false },
    },
    prepare: async ({ users }) => {
      grant = await grantSudo(users.admin.name);
    },
    viewport: { width: 1280, height: 860 },
    strictUi: true,
  });
  after(() => grant?.remove());

  const page = () => s.wb.page;
  /** The walkthrough's step row by its title. */
  const stepRow = (title: string) => page().locator('button.getting-started-step', { hasText: title }).first();

  async function groups(name = s.users.admin.name): Promise<string[]> {
    const r = await runProcess('id', ['-nG', name]);
    return r.stdout.trim().split(/\s+/);
  }

  it('opens from the Welcome page and lists its steps', T, async () => {
    await s.wb.step('welcome page', async () => {
      await s.wb.runCommand('Help: Welcome');
      await page().locator('.gettingStartedContainer').first().waitFor({ state: 'visible', timeout: 60_000 });
    });
    await s.wb.step('walkthrough opened', async () => {
      // On a first start the page opens VS Code's own setup walkthrough: back to the list.
      const back = page().locator('.gettingStartedContainer button.prev-button');
      if (await back.isVisible()) {
        await back.click();
      }
      const entry = page().locator('button.getting-started-category', { hasText: WALKTHROUGH }).first();
      await waitUntil('the walkthrough list', () =>
        page().locator('.gettingStartedSlideCategories button.getting-started-category').first().isVisible(),
      );
      if (await entry.isVisible()) {
        await entry.click();
      } else {
        // More walkthroughs than the page lists: the full list.
        await s.wb.runCommand('Help: Open Walkthrough...');
        await s.wb.quickPick.pick(WALKTHROUGH);
      }
      await page().locator('.gettingStartedSlideDetails h2', { hasText: WALKTHROUGH }).first().waitFor();
      for (const title of [
        'Connect to a remote host',
        'Switch contexts from the sidebar or the status bar',
        'Read the remote OS and architecture',
        'Use a context in this workspace only',
        'Ports on localhost',
      ]) {
        await stepRow(title).waitFor({ state: 'visible' });
      }
    });
  });

  it(
    "the first step's button runs the guided flow; the fresh server is made ready with sudo and the step shows as done",
    T,
    async () => {
      const admin = s.users.admin;
      assert.ok(!(await groups()).includes('docker'), 'the account starts outside the docker group');
      await s.wb.step('first step', async () => {
        await stepRow('Connect to a remote host').click();
        await page()
          .locator('button.getting-started-step[aria-expanded="true"] .monaco-button', {
            hasText: 'Connect to a Remote Docker Host…',
          })
          .first()
          .waitFor({ state: 'visible' });
        assert.equal(await stepRow('Connect to a remote host').getAttribute('aria-checked'), 'false');
      });
      await page()
        .locator('button.getting-started-step[aria-expanded="true"] .monaco-button', {
          hasText: 'Connect to a Remote Docker Host…',
        })
        .first()
        .click();

      await s.wb.step('the guided flow asks where', async () => {
        // An empty SSH configuration: the destination is asked at once.
        await waitUntil('the destination box', async () => /SSH destination/.test(await s.wb.inputBox.message()));
        assert.match(await s.wb.quickPick.title(), /Connect to a Remote Docker Host/);
      });
      await s.wb.inputBox.fill(`${admin.name}@127.0.0.1:${s.sshd.port}`);
      await waitUntil('the alias box', async () => /Alias for/.test(await s.wb.inputBox.message()));
      await s.wb.inputBox.fill(ALIAS);
      await waitUntil('the key list', async () => /Which SSH key/.test(await s.wb.inputBox.placeholder()));
      await s.wb.quickPick.pick('Generate a new key…');
      await waitUntil('the key name', async () =>
        /File name of the new ed25519 key/.test(await s.wb.inputBox.message()),
      );
      await s.wb.quickPick.accept();
      await waitUntil('the passphrase box', async () =>
        /passphrase protects the key/i.test(await s.wb.inputBox.message()),
      );
      await s.wb.quickPick.accept();
      await waitUntil('the context name', async () =>
        /Name of the new Docker context/.test(await s.wb.inputBox.message()),
      );
      await s.wb.quickPick.accept();
      await waitUntil('the description', async () =>
        /Description of the Docker context/.test(await s.wb.inputBox.message()),
      );
      await s.wb.quickPick.accept();
      const dialog = page().locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 120_000 });
      await dialog.locator('.monaco-button', { hasText: 'Trust Host' }).click();
      await waitUntil(
        'the password box',
        async () => (await s.wb.quickPick.isOpen()) && /Password for/.test(await s.wb.quickPick.title()),
        120_000,
      );
      await s.wb.inputBox.fill(admin.password);

      const offer = `Add ${admin.name} to the docker group (sudo)`;
      await s.wb.step('docker does not work yet: the fix is offered', async () => {
        await waitUntil(
          'the report',
          async () => (await s.wb.quickPick.isOpen()) && /does not work yet/.test(await s.wb.quickPick.title()),
          180_000,
        );
        const rows = (await s.wb.quickPick.rows()).map((r) => r.label);
        assert.deepEqual(rows.slice(-4), [offer, 'Check Again', 'Create the Context Anyway', 'Stop Here']);
      });
      await s.wb.quickPick.pick(offer);

      await s.wb.step('sudo password, once', async () => {
        await waitUntil(
          'the sudo password box',
          async () => (await s.wb.quickPick.isOpen()) && /sudo Password/.test(await s.wb.quickPick.title()),
          120_000,
        );
        assert.equal(await s.wb.quickPick.title(), `sudo Password of ${admin.name} on ${ALIAS}`);
        assert.ok(await s.wb.inputBox.isPassword(), 'the sudo password box hides what is typed');
        assert.match(await s.wb.inputBox.message(), /Used once to run "sudo usermod -aG docker .+"; not stored\./);
        await s.wb.inputBox.fill(admin.password, { submit: false });
      });
      await s.wb.quickPick.accept();

      await s.wb.step('ready after a new login', async () => {
        await waitUntil(
          'the "Use now" question',
          async () => (await s.wb.quickPick.isOpen()) && /is ready/.test(await s.wb.quickPick.title()),
          180_000,
        );
      });
      assert.ok((await groups()).includes('docker'), 'the account is in the docker group now');
      await s.wb.quickPick.pick('Use now');

      const info = JSON.parse((await s.cli.run(['--context', ALIAS, 'info', '--format', '{{json .}}'])).stdout) as {
        OperatingSystem: string;
        Architecture: string;
      };
      await s.wb.step('status bar shows the remote OS and architecture', async () => {
        await s.cli.waitShows(ALIAS);
        await waitFor(
          'the status bar',
          () => s.wb.statusBarItem(STATUS_ID).text(),
          (t) => t.includes(`${ALIAS} · ${info.OperatingSystem} · ${info.Architecture}`),
          120_000,
        );
      });

      await s.wb.step('the first step is done', async () => {
        await waitUntil(
          'the step marked complete',
          async () => (await stepRow('Connect to a remote host').getAttribute('aria-checked')) === 'true',
          60_000,
        );
      });

      const log = s.server.extensionLog();
      fs.writeFileSync(path.join(screenshotsDirFor('walkthrough'), 'extension.log'), log);
      assert.match(log, /Server setup: ran "sudo usermod -aG docker \S+" on fresh-server \(with a password\)/);
      assert.ok(!log.includes(admin.password), 'the password is not in the log');
    },
  );

  it(
    'an account without sudo rights: the reason, the command for an administrator (copied), the group unchanged',
    T,
    async () => {
      const plain = s.users.plain;
      const before = await groups(plain.name);
      await page()
        .context()
        .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(s.server.url).origin });
      await s.wb.runCommand('Remote Docker: Connect to a Remote Docker Host…');
      await waitUntil('the host list', async () =>
        /Which machine runs the Docker daemon/.test(await s.wb.inputBox.placeholder()),
      );
      await s.wb.quickPick.pick('Enter a new destination (user@host:port)…');
      await waitUntil('the destination box', async () => /SSH destination/.test(await s.wb.inputBox.message()));
      await s.wb.inputBox.fill(`${plain.name}@127.0.0.1:${s.sshd.port}`);
      await waitUntil('the alias box', async () => /Alias for/.test(await s.wb.inputBox.message()));
      await s.wb.inputBox.fill('no-sudo');
      await waitUntil('the key list', async () => /Which SSH key/.test(await s.wb.inputBox.placeholder()));
      await s.wb.quickPick.pick('id_ed25519');
      for (const step of [/Name of the new Docker context/, /Description of the Docker context/]) {
        await waitUntil(`the step ${step}`, async () => step.test(await s.wb.inputBox.message()));
        await s.wb.quickPick.accept();
      }
      await waitUntil(
        'the password box',
        async () => (await s.wb.quickPick.isOpen()) && /Password for/.test(await s.wb.quickPick.title()),
        120_000,
      );
      await s.wb.inputBox.fill(plain.password);
      const offer = `Add ${plain.name} to the docker group (sudo)`;
      await waitUntil(
        'the report',
        async () => (await s.wb.quickPick.isOpen()) && /does not work yet/.test(await s.wb.quickPick.title()),
        180_000,
      );
      await s.wb.quickPick.pick(offer);
      await waitUntil(
        'the sudo password box',
        async () => (await s.wb.quickPick.isOpen()) && /sudo Password/.test(await s.wb.quickPick.title()),
        120_000,
      );
      await s.wb.inputBox.fill(plain.password);
      const command = `sudo usermod -aG docker ${plain.name}`;
      let note: Awaited<ReturnType<typeof s.wb.notification>> | undefined;
      await s.wb.step('no sudo rights: the reason and the command for an administrator', async () => {
        note = await s.wb.notification(/may not run this command with sudo/, 120_000);
        const expected = `${plain.name} may not run this command with sudo on no-sudo. Nothing was changed. Ask an administrator of no-sudo to run: ${command}`;
        assert.ok(note.text.includes(expected), note.text);
      });
      await note?.clickButton('Copy Command');
      await waitUntil(
        'the command on the clipboard',
        async () =>
          (await page().evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText())) ===
          command,
      );
      await s.wb.step('no sudo rights: back at the report', async () => {
        await waitUntil(
          'the report again',
          async () => (await s.wb.quickPick.isOpen()) && /does not work yet/.test(await s.wb.quickPick.title()),
          60_000,
        );
      });
      await s.wb.quickPick.pick('Stop Here');
      await s.wb.notification(/SSH to "no-sudo" is set up; no Docker context was created/, 60_000);
      assert.deepEqual(await groups(plain.name), before, 'the group is unchanged');
      assert.ok(!s.server.extensionLog().includes(plain.password), 'the password is not in the log');
    },
  );
});
