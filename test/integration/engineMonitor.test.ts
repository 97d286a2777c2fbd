/**
 * EngineMonitor (the status check, the daemon view model, prompts, the pool) against a real
 * OpenSSH sshd and a real dockerd, with sshd's own log as the oracle of logins:
 *
 * - a dropped connection (sshd stopped) is re-probed at once and then retried at 1, 2, 4, 8 s,
 *   so the status recovers within seconds of sshd coming back; the periodic interval is set to
 *   ten minutes, so nothing else could have recovered it;
 * - new time limits make a new pool: the old connection is closed, every answer is stale, and
 *   the status is probed again over a new login;
 * - a person's probe that joined a background attempt (which may not ask) tries again with
 *   prompts: the host-key question is asked once and the probe succeeds;
 * - a passphrase the person declined is not asked again by their next probe, only when they
 *   ask to connect (`askAgain`).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { nullLogger } from '../../src/core/common/log';
import { engineKey, sameKey } from '../../src/core/engine/engineKey';
import { EngineMonitor, type EngineMonitorSettings, type EngineSubject } from '../../src/core/engine/engineMonitor';
import { connectForEngine } from '../../src/core/engine/engineSshTarget';
import type { DaemonState } from '../../src/core/engine/engineStates';
import type { SshPrompts } from '../../src/core/ssh/connection';
import { PassphraseCache } from '../../src/core/ssh/passphraseCache';
import { resolveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  generateKey,
  knownHostsLine,
  requireRoot,
  sshHostBlock,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';

const T = { timeout: 300_000 };
const SETTINGS: EngineMonitorSettings = {
  // Ten minutes: only the short retries can bring a status back within this test's time.
  refreshIntervalMs: 600_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 300_000,
  probeTtlMs: 60_000,
};
const PASSPHRASE = 'correct horse';

let dockerd: Dockerd;
let sshd: Sshd;
let user: TestUser;
let home: TempHome;
let lockedKey: string;
const monitors: EngineMonitor[] = [];

function subject(name: string, alias: string): EngineSubject {
  return { name, endpoint: `ssh://${alias}${dockerd.socket}`, skipTLSVerify: false, hasTls: false };
}

/** A monitor wired as the extension wires it, with the temp home's SSH configuration. */
function newMonitor(o: { prompts?: () => SshPrompts; passphrases?: PassphraseCache } = {}): EngineMonitor {
  const passphrases = o.passphrases ?? new PassphraseCache();
  const m = new EngineMonitor({
    connect: (endpoint, signal, interaction) =>
      connectForEngine(
        {
          resolve: (alias, sig) =>
            resolveHost(alias, {
              configFile: path.join(home.sshDir, 'config'),
              home: home.home,
              localUser: os.userInfo().username,
              signal: sig,
            }),
          connectOptions: (host, co) => ({
            host,
            env: home.env,
            home: home.home,
            signal: co.signal,
            prompts: co.prompts,
            passphrases,
            timeoutMs: 30_000,
          }),
          passphrases,
          keepaliveIntervalMs: 0,
        },
        endpoint,
        signal,
        interaction,
      ),
    prompts: () => o.prompts?.() ?? {},
    target: (s) => ({ contextName: s.name, endpoint: s.endpoint, skipTLSVerify: s.skipTLSVerify }),
    settings: SETTINGS,
    focused: true,
    logger: nullLogger,
  });
  monitors.push(m);
  return m;
}

/**
 * Resolves with the first state of the subject's daemon that `ok` accepts (checked now and at
 * every change); fails after `limitMs` with the last state seen. The monitor's retry timer does
 * not keep a process alive (unref), so this wait does.
 */
function stateWhere(
  m: EngineMonitor,
  s: EngineSubject,
  ok: (st: DaemonState) => boolean,
  limitMs = 120_000,
): Promise<DaemonState> {
  const key = engineKey(s);
  return new Promise((resolve, reject) => {
    const now = m.states.get(key);
    if (ok(now)) {
      resolve(now);
      return;
    }
    const done = (): void => {
      clearTimeout(limit);
      sub.dispose();
    };
    const limit = setTimeout(() => {
      done();
      reject(new Error(`no such state within ${limitMs} ms; last: ${JSON.stringify(m.states.get(key))}`));
    }, limitMs);
    const sub = m.states.onDidChange((k) => {
      const st = m.states.get(key);
      if (sameKey(k, key) && ok(st)) {
        done();
        resolve(st);
      }
    });
  });
}

before(async () => {
  requireRoot('the engine monitor tests');
  [dockerd, sshd] = await Promise.all([startDockerd(), startSshd()]);
  user = await createUser({ docker: true, dockerHost: dockerd.host });
  home = tempHome();
  const key = await generateKey(home.home, 'id_ed25519');
  user.authorizeKey(key.publicLine);
  lockedKey = path.join(home.sshDir, 'id_locked');
  const r = await runProcess('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-f', lockedKey], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.stderr);
  user.authorizeKey(fs.readFileSync(`${lockedKey}.pub`, 'utf8').trim());
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: 'mon', port: sshd.port, user: user.name, identityFile: key.privateKey }),
  );
  appendSshConfig(
    home.home,
    `${sshHostBlock({ alias: 'mon-stranger', port: sshd.port, user: user.name, identityFile: key.privateKey })}  HostKeyAlias mon-stranger.example\n`,
  );
  appendSshConfig(
    home.home,
    `${sshHostBlock({ alias: 'mon-locked', port: sshd.port, user: user.name, identityFile: lockedKey })}  IdentitiesOnly yes\n`,
  );
  addKnownHost(home.home, knownHostsLine(sshd));
});

after(async () => {
  for (const m of monitors) {
    m.dispose();
  }
  await user?.remove();
  await sshd?.dispose();
  await dockerd?.stop();
  home?.remove();
});

describe('EngineMonitor against a real sshd and dockerd', () => {
  it(
    'a dropped connection is checked again at once and then at 1, 2, 4, 8 s: the status recovers within seconds of sshd coming back',
    T,
    async (t: TestContext) => {
      const m = newMonitor();
      const s = subject('mon', 'mon');
      m.showStatusOf(s, { interactive: false, why: 'test' });
      await stateWhere(m, s, (st) => st.kind === 'ok');
      let invalidated = 0;
      m.states.onDidInvalidate(() => invalidated++);
      const failed = stateWhere(m, s, (st) => st.kind === 'failed');
      await sshd.stop();
      const f = await failed;
      assert.ok(
        f.kind === 'failed' && f.ssh,
        `failed after sshd stopped: ${f.kind === 'failed' ? f.error.reason : f.kind}`,
      );
      assert.equal(invalidated, 1, 'the dropped connection made the answers about its endpoint stale');
      const logins = await sshd.acceptedLogins();
      const recovered = stateWhere(m, s, (st) => st.kind === 'ok');
      const started = performance.now();
      await sshd.start();
      const back = await recovered;
      const ms = performance.now() - started;
      assert.equal(back.kind, 'ok');
      assert.equal(await sshd.acceptedLogins(), logins + 1, 'one new login brought it back');
      t.diagnostic(`status recovered ${ms.toFixed(0)} ms after sshd started again (periodic interval: 600 s)`);
    },
  );

  it(
    'new time limits make a new pool: the old connection closes, answers go stale, the status is probed over a new login',
    T,
    async () => {
      const m = newMonitor();
      const s = subject('mon-settings', 'mon');
      m.showStatusOf(s, { interactive: false, why: 'test' });
      await stateWhere(m, s, (st) => st.kind === 'ok');
      const logins = await sshd.acceptedLogins();
      let invalidated = 0;
      m.states.onDidInvalidate(() => invalidated++);
      m.configure({ ...SETTINGS, requestTimeoutMs: 20_000 });
      assert.equal(invalidated, 1);
      assert.equal(m.states.get(engineKey(s)).stale, true, 'every answer is stale');
      await stateWhere(m, s, (st) => st.kind === 'ok' && !st.stale);
      assert.equal(await sshd.acceptedLogins(), logins + 1, 'the new pool logged in again');
      assert.equal(m.connectsTotal, 1);
      m.configure({ ...SETTINGS, requestTimeoutMs: 20_000, probeTtlMs: 1_000 });
      assert.equal(invalidated, 1, 'other settings keep the pool');
    },
  );

  it(
    "a person's probe that joined a background attempt (which may not ask) tries again with prompts: asked once, then it answers",
    T,
    async () => {
      const asked: string[] = [];
      const m = newMonitor({
        prompts: () => ({
          confirmHostKey: (req) => {
            asked.push(req.name);
            return Promise.resolve(true);
          },
        }),
      });
      const s = subject('mon-stranger', 'mon-stranger');
      // The background attempt starts first: it has no prompts, and the person's call joins it.
      const background = m.probe(s, { interactive: false });
      const person = m.probe(s, { interactive: true });
      const [b, p] = await Promise.all([background, person]);
      assert.ok(
        !b.ok && b.error.reason === 'hostKeyUnknown',
        `the background probe could not ask: ${b.ok ? 'ok' : b.error.reason}`,
      );
      assert.ok(p.ok, `the person's probe answered: ${p.ok ? '' : p.error.reason}`);
      assert.deepEqual(asked, ['mon-stranger.example'], 'asked once, for the HostKeyAlias');
      assert.equal(m.states.get(engineKey(s)).kind, 'ok');
      // OpenSSH agrees that the key was recorded.
      const known = fs.readFileSync(path.join(home.sshDir, 'known_hosts'), 'utf8');
      assert.match(known, /^mon-stranger\.example ssh-ed25519 /m);
    },
  );

  it(
    'a declined passphrase is not asked again by the next probe, only when the person asks to connect',
    T,
    async () => {
      const reply: { passphrase?: string } = {};
      const asked: string[] = [];
      const m = newMonitor({
        prompts: () => ({
          passphrase: (req) => {
            asked.push(req.keyPath);
            return Promise.resolve(reply.passphrase);
          },
        }),
      });
      const s = subject('mon-locked', 'mon-locked');
      const declined = await m.probe(s, { interactive: true });
      assert.ok(!declined.ok, 'declined: no login');
      assert.deepEqual(asked, [lockedKey]);
      const again = await m.probe(s, { interactive: true });
      assert.ok(!again.ok);
      assert.deepEqual(asked, [lockedKey], 'a declined key stays skipped');
      reply.passphrase = PASSPHRASE;
      const connect = await m.probe(s, { interactive: true, askAgain: true });
      assert.ok(connect.ok, `askAgain asked and logged in: ${connect.ok ? '' : connect.error.reason}`);
      assert.deepEqual(asked, [lockedKey, lockedKey]);
    },
  );
});
