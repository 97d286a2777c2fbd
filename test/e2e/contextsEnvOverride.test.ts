/**
 * DOCKER_HOST and DOCKER_CONTEXT in VS Code's own environment override the context selected in
 * the docker config, for the extension host and for every terminal opened from VS Code. The UI
 * must say so: the tree marks the context docker really uses, with the variable named; the status
 * item shows it; the view's message and the status tooltip explain that switching here does not
 * change what terminals use; and a switch warns instead of pretending.
 *
 * Each describe starts its own code-server with the variable set. The oracle is the docker CLI
 * run twice: with code-server's environment (what a VS Code terminal sees) and without the
 * variable (what the docker config itself selects).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { packageExtension, startCodeServer, type CodeServer } from '../support/codeServer';
import {
  CONTAINER_TITLE as CONTAINER,
  CONTEXTS_VIEW_TITLE as VIEW,
  STATUS_ITEM_ID as STATUS_ID,
  contextRows,
  contextsViewMessage,
  currentContextRows,
  showsName,
  statusText,
} from '../support/contextsUi';
import { DockerCli } from '../support/dockerCli';
import { requireRoot } from '../support/requireRoot';
import { tempHome, type TempHome } from '../support/tempHome';
import { openWorkbench, screenshotsDirFor, waitFor, type Workbench } from '../support/workbench';

const T = { timeout: 300_000 };

interface Setup {
  home: TempHome;
  server: CodeServer;
  wb: Workbench;
  /** The CLI with code-server's environment, override included. */
  terminal: DockerCli;
  /** The CLI without the override: what the docker config selects. */
  config: DockerCli;
}

/** Seeds two contexts, selects `staging` in the config, and starts code-server with `extraEnv`. */
async function setUp(name: string, extraEnv: (home: TempHome) => NodeJS.ProcessEnv): Promise<Setup> {
  requireRoot('the e2e tests');
  const home = tempHome();
  const config = new DockerCli(home.env);
  await config.run([
    'context',
    'create',
    'prod-eu',
    '--docker',
    'host=ssh://deploy@prod-eu.example.com',
    '--description',
    'Production, Frankfurt',
  ]);
  await config.run([
    'context',
    'create',
    'staging',
    '--docker',
    'host=ssh://ubuntu@staging.example.com:2222',
    '--description',
    'Staging server',
  ]);
  await config.run(['context', 'use', 'staging']);
  const env = { ...home.env, ...extraEnv(home) };
  const terminal = new DockerCli(env);
  const workspace = path.join(home.home, 'project');
  fs.mkdirSync(workspace);
  const server = await startCodeServer({ vsix: packageExtension(), env, workspace });
  const wb = await openWorkbench(server.url, {
    screenshotsDir: screenshotsDirFor(name),
    serverLogs: () => `${server.logs()}\n--- extension output channels ---\n${server.outputChannelLogs()}`,
  });
  await wb.step('workbench loaded', () => wb.waitReady());
  await wb.step('remote docker sidebar', async () => {
    await wb.openViewContainer(CONTAINER);
    await wb.waitForTreeRow('default', VIEW, 60_000);
  });
  return { home, server, wb, terminal, config };
}

async function tearDown(s: Setup | undefined): Promise<void> {
  await s?.wb.close();
  await s?.server.stop();
  s?.home.remove();
}

describe("DOCKER_HOST set in VS Code's environment", () => {
  let s: Setup;
  let dockerHost = '';

  before(async () => {
    s = await setUp('docker host override', (home) => {
      // A socket that does not exist: nothing is ever listening, so no probe can hang on it.
      dockerHost = `unix://${path.join(home.home, 'override', 'docker.sock')}`;
      return { DOCKER_HOST: dockerHost };
    });
  });
  beforeEach(async () => s?.wb.dismissTransient());
  afterEach(async () => assert.deepEqual((await s?.wb.errorNotifications()) ?? [], [], 'no error notification'));
  after(async () => tearDown(s));

  it(
    'marks default as current because of DOCKER_HOST, in the tree, the view message, the status text and tooltip',
    T,
    async () => {
      const { wb } = s;
      assert.equal(await s.terminal.show(), 'default', 'a terminal with DOCKER_HOST uses default');
      assert.equal(await s.config.show(), 'staging', 'the config selects staging');
      await wb.step('default marked current (DOCKER_HOST)', async () => {
        await waitFor(
          'the tree to mark default current',
          () => currentContextRows(wb),
          (c) => c.length === 1 && c[0] === 'default',
        );
        const def = (await contextRows(wb)).find((r) => r.name === 'default');
        assert.ok(def);
        // The CLI derives default's endpoint from DOCKER_HOST; the row shows the same.
        const cliDefault = (await s.terminal.list()).find((c) => c.Name === 'default');
        assert.equal(cliDefault?.DockerEndpoint, dockerHost);
        assert.ok(def.description.startsWith(dockerHost), `row description "${def.description}"`);
        assert.match(def.description, /current \(DOCKER_HOST\)/);
        const staging = (await contextRows(wb)).find((r) => r.name === 'staging');
        assert.equal(staging?.current, false, "the config's choice is not shown as current");
      });
      await wb.step('view message names DOCKER_HOST', async () => {
        const message = await waitFor(
          'the view message',
          () => contextsViewMessage(wb),
          (m) => m !== '',
        );
        assert.match(message, /DOCKER_HOST is set in VS Code's environment/);
        assert.ok(message.includes(dockerHost), `message names the value: ${message}`);
      });
      await wb.step('status bar: default (DOCKER_HOST)', async () => {
        const text = await waitFor(
          'the status text',
          () => statusText(wb),
          (t) => showsName(t, 'default'),
        );
        assert.match(text, /\(DOCKER_HOST\)/);
        assert.match(await wb.statusBarItem(STATUS_ID).ariaLabel(), /Docker context default, set by DOCKER_HOST/);
      });
      await wb.step('status tooltip explains the override', async () => {
        const tip = await wb.hoverText(wb.statusBarItem(STATUS_ID).locator);
        assert.match(tip, /DOCKER_HOST is set, which forces the "default" context/);
        assert.match(tip, /switching contexts here does not change that/);
      });
    },
  );

  it('a switch writes the config but warns that terminals still use default', T, async () => {
    const { wb } = s;
    await wb.step('click prod-eu: warning', async () => {
      await wb.clickTreeRow('prod-eu', VIEW);
      await waitFor(
        'the config to select prod-eu',
        () => s.config.show(),
        (n) => n === 'prod-eu',
      );
      const note = await wb.notification(/DOCKER_HOST is set in VS Code's environment/);
      assert.match(note.text, /"prod-eu" is now selected in the docker config/);
      assert.match(note.text, /still uses "default"/);
      await wb.settle(); // let the toast finish sliding in for the screenshot
    });
    assert.equal(await s.terminal.show(), 'default', 'a terminal with DOCKER_HOST still uses default');
    await wb.settle();
    assert.deepEqual(await currentContextRows(wb), ['default'], 'the tree keeps marking what docker really uses');
    assert.ok(showsName(await statusText(wb), 'default'));
  });
});

describe("DOCKER_CONTEXT set in VS Code's environment", () => {
  let s: Setup;

  before(async () => {
    s = await setUp('docker context override', () => ({ DOCKER_CONTEXT: 'prod-eu' }));
  });
  beforeEach(async () => s?.wb.dismissTransient());
  afterEach(async () => assert.deepEqual((await s?.wb.errorNotifications()) ?? [], [], 'no error notification'));
  after(async () => tearDown(s));

  it('marks the DOCKER_CONTEXT context current, says why, and a switch warns that terminals keep it', T, async () => {
    const { wb } = s;
    assert.equal(await s.terminal.show(), 'prod-eu');
    assert.equal(await s.config.show(), 'staging');
    await wb.step('prod-eu marked current (DOCKER_CONTEXT)', async () => {
      await waitFor(
        'the tree to mark prod-eu current',
        () => currentContextRows(wb),
        (c) => c.length === 1 && c[0] === 'prod-eu',
      );
      const row = (await contextRows(wb)).find((r) => r.name === 'prod-eu');
      assert.match(row?.description ?? '', /current \(DOCKER_CONTEXT\)/);
      const message = await waitFor(
        'the view message',
        () => contextsViewMessage(wb),
        (m) => m !== '',
      );
      assert.match(message, /DOCKER_CONTEXT is set in VS Code's environment/);
      const text = await waitFor(
        'the status text',
        () => statusText(wb),
        (t) => showsName(t, 'prod-eu'),
      );
      assert.match(text, /\(DOCKER_CONTEXT\)/);
    });
    await wb.step('click default: warning', async () => {
      await wb.clickTreeRow('default', VIEW);
      await waitFor(
        'the config to select default',
        () => s.config.show(),
        (n) => n === 'default',
      );
      const note = await wb.notification(/DOCKER_CONTEXT is set in VS Code's environment/);
      assert.match(note.text, /"default" is now selected in the docker config/);
      assert.match(note.text, /still uses "prod-eu"/);
      await wb.settle(); // let the toast finish sliding in for the screenshot
    });
    assert.equal(await s.terminal.show(), 'prod-eu', 'a terminal with DOCKER_CONTEXT still uses prod-eu');
    await wb.settle();
    assert.deepEqual(await currentContextRows(wb), ['prod-eu']);
    assert.ok(showsName(await statusText(wb), 'prod-eu'));
  });
});
