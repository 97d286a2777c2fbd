/**
 * Smoke test of the end-to-end tier: the packaged .vsix installs into a real VS Code
 * (code-server), the workbench loads in Chromium, and every view container the manifest
 * contributes to the activity bar is shown there.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  REPO_ROOT,
  extensionId,
  packageExtension,
  readManifest,
  startCodeServer,
  type CodeServer,
} from '../support/codeServer';
import { requireRoot } from '../support/requireRoot';
import { tempHome, type TempHome } from '../support/tempHome';
import { openWorkbench, screenshotsDirFor, waitFor, type Workbench } from '../support/workbench';

const T = { timeout: 300_000 };

interface Manifest {
  contributes?: { viewsContainers?: { activitybar?: Array<{ id: string; title: string }> } };
}

describe('e2e smoke', () => {
  let home: TempHome;
  let server: CodeServer;
  let wb: Workbench;

  before(async () => {
    requireRoot('the e2e tests');
    home = tempHome();
    const workspace = path.join(home.home, 'project');
    fs.mkdirSync(workspace);
    server = await startCodeServer({ vsix: packageExtension(), env: home.env, workspace });
    wb = await openWorkbench(server.url, {
      screenshotsDir: screenshotsDirFor('smoke'),
      serverLogs: () => server.logs(),
    });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    home?.remove();
  });

  it('installs the packaged extension into code-server', T, async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const installed = await server.listExtensions();
    assert.ok(installed.includes(extensionId(true)), `installed: ${installed.join(', ')}`);
    assert.ok(extensionId(true).endsWith(`@${pkg.version}`));
  });

  it('loads the workbench', T, async () => {
    await wb.step('workbench loaded', () => wb.waitReady());
    assert.ok(await wb.page.locator('.part.statusbar').isVisible());
  });

  it('activates the extension in the extension host (Developer: Show Running Extensions)', T, async () => {
    await wb.step('running extensions', async () => {
      await wb.runCommand('Developer: Show Running Extensions');
      const editor = wb.page.locator('.runtime-extensions-editor');
      await editor.waitFor({ state: 'visible' });
      await editor
        .locator('.monaco-list-row', { hasText: 'Remote Docker Contexts' })
        .first()
        .waitFor({ state: 'visible' });
    });
  });

  it("the extension's log channel is where the harness reads it, alone and among the output channels", T, async () => {
    const log = await waitFor(
      'the activation line in the extension log',
      async () => server.extensionLog(),
      (l) => /activated in [\d.]+ ms/.test(l),
      60_000,
    );
    assert.doesNotMatch(log, /^== /m, 'extensionLog() is the channel text alone');
    assert.match(server.outputChannelLogs(), /^== Remote Docker\.log\n[^]*activated in [\d.]+ ms/m);
  });

  it('shows every activity bar container the manifest contributes', T, async () => {
    const manifest = readManifest() as Manifest;
    const containers = manifest.contributes?.viewsContainers?.activitybar ?? [];
    // With no container contributed this checks the built-in Explorer, so the selectors stay proven.
    // Feature behaviour (switching, status bar, palette) belongs to the UI's own e2e tests.
    const titles = containers.length > 0 ? containers.map((c) => c.title) : ['Explorer'];
    for (const title of titles) {
      await wb.step(`container ${title}`, async () => {
        assert.ok(await wb.hasViewContainer(title), `activity bar entry "${title}"`);
        await wb.openViewContainer(title);
        const heading = (await wb.page.locator('.part.sidebar .composite.title').first().textContent()) ?? '';
        assert.match(heading, new RegExp(title, 'i'));
        if (title === 'Remote Docker') {
          // The virtual `default` context always exists, so the Docker Contexts view lists it.
          await wb.waitForTreeRow('default');
          assert.ok((await wb.treeRows()).some((r) => r.label === 'default'));
        }
      });
    }
  });
});
