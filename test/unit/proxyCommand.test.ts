/**
 * ProxyCommand without root or an sshd: the tokens OpenSSH expands (and the ones it refuses),
 * destination values that a shell would interpret refused before anything runs, a command
 * that fails (its exit status and stderr are the reason, and reach the log), a shell that cannot
 * start, `ProxyCommand -` and `none`, and the command ended (with what it started) when the
 * attempt is cancelled or times out. The SSH side of a working ProxyCommand is tested against
 * the real sshd (test/integration/proxyCommand.test.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { CoreError } from '../../src/core/common/errors';
import { MemoryLogger } from '../../src/core/common/log';
import { connectSsh } from '../../src/core/ssh/connection';
import { expandProxyCommand, proxyCommandOf } from '../../src/core/ssh/proxyCommand';
import type { EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import { closedPort } from '../support/ports';
import { descendants, isAlive } from '../support/processes';
import { rejectsWith } from '../support/rejectsWith';
import { waitUntil } from '../support/waitFor';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-proxycmd-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function host(o: Partial<EffectiveHost> = {}): EffectiveHost {
  return {
    alias: 'via-proxy',
    hostname: 'target.example',
    user: 'deploy',
    port: 2222,
    identityFiles: [],
    identitiesOnly: true,
    userKnownHostsFiles: [path.join(dir, 'known_hosts')],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: 'yes',
    hashKnownHosts: false,
    source: 'builtin',
    ...o,
  };
}

const env = { PATH: process.env.PATH, SHELL: '/bin/sh' };

/** Our own children (the commands' shells and what they started). */
function children(): number[] {
  return descendants(process.pid);
}

describe('ProxyCommand tokens', () => {
  it('expands %h %n %p %r and %% as OpenSSH does, values unquoted', () => {
    assert.equal(
      expandProxyCommand('ssh -W [%h]:%p -l %r jump # %n 100%%', host()),
      'ssh -W [target.example]:2222 -l deploy jump # via-proxy 100%',
    );
    assert.equal(expandProxyCommand('nc %h %p', host({ hostname: 'fe80::1', port: 22 })), 'nc fe80::1 22');
  });

  it('refuses a token OpenSSH does not expand there, and a lone %', () => {
    for (const [cmd, token] of [
      ['nc %d %p', '%d'],
      ['nc %h %p %C', '%C'],
      ['nc %h %', '%'],
    ] as const) {
      assert.throws(
        () => expandProxyCommand(cmd, host()),
        (e: unknown) =>
          CoreError.is(e, 'proxyCommandFailed') && e.details.detail === 'token' && e.details.token === token,
        cmd,
      );
    }
  });

  it('refuses destination values a shell would interpret (OpenSSH does not quote them either)', async () => {
    const marker = path.join(dir, 'ran');
    const cases: Partial<EffectiveHost>[] = [
      { hostname: `a;touch ${marker}` },
      { hostname: 'a b' },
      { hostname: '-oProxyCommand=x' },
      { user: `$(touch ${marker})` },
      { user: 'x`id`' },
      { user: 'a|b' },
      { alias: 'a&b' },
      { hostname: 'a\nb' },
    ];
    for (const c of cases) {
      const e = await rejectsWith(
        connectSsh({ host: host({ ...c, proxyCommand: `touch ${marker}; nc %h %p %r %n` }), env, timeoutMs: 5_000 }),
        'sshDestinationInvalid',
      );
      assert.equal(e.details.detail, 'proxyCommand', JSON.stringify(c));
    }
    assert.equal(fs.existsSync(marker), false, 'nothing ran');
    // A value is only checked where the command uses it.
    assert.equal(expandProxyCommand('nc %h %p', host({ user: 'a b' })), 'nc target.example 2222');
  });

  it('`none` (any case) and empty turn it off', () => {
    assert.equal(proxyCommandOf(host({ proxyCommand: 'None' })), undefined);
    assert.equal(proxyCommandOf(host({ proxyCommand: '  ' })), undefined);
    assert.equal(proxyCommandOf(host({ proxyCommand: 'nc %h %p' })), 'nc %h %p');
  });
});

describe('ProxyCommand runs', () => {
  it('a command that fails: its exit status and stderr are the reason, and its stderr is logged', async () => {
    const logger = new MemoryLogger();
    const e = await rejectsWith(
      connectSsh({
        host: host({ proxyCommand: `sh -c 'echo "bastion: no route to %h" >&2; exit 7'` }),
        env,
        logger,
        timeoutMs: 30_000,
      }),
      'proxyCommandFailed',
    );
    assert.equal(e.details.detail, 'exited');
    assert.equal(e.details.exitCode, 7);
    assert.equal(e.details.stderr, 'bastion: no route to target.example');
    assert.match(e.message, /exited with code 7.*no route to target\.example/);
    assert.ok(
      logger.lines.some((l) => l.includes('ProxyCommand: bastion: no route to target.example')),
      logger.lines.join('\n'),
    );
  });

  it('runs through $SHELL -c "exec …": a shell that does not exist is the reason', async () => {
    const e = await rejectsWith(
      connectSsh({
        host: host({ proxyCommand: 'nc %h %p' }),
        env: { ...env, SHELL: path.join(dir, 'no-such-shell') },
        timeoutMs: 30_000,
      }),
      'proxyCommandFailed',
    );
    assert.equal(e.details.detail, 'spawn');
    // And the command replaces the shell (`exec`): its pid is the command's own.
    const pidFile = path.join(dir, 'pid');
    const seen = await rejectsWith(
      connectSsh({
        host: host({ proxyCommand: `sh -c 'echo $$ > ${pidFile}; echo $PPID >> ${pidFile}; exit 3'` }),
        env,
        timeoutMs: 30_000,
      }),
      'proxyCommandFailed',
    );
    assert.equal(seen.details.exitCode, 3);
    const [, parent] = fs.readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    assert.equal(parent, process.pid, 'no shell in between');
  });

  it('the stderr in the reason is capped and free of control characters', async () => {
    const e = await rejectsWith(
      connectSsh({
        host: host({
          proxyCommand: `sh -c 'i=0; while [ $i -lt 500 ]; do printf "line %%s \\033[31mred\\n" $i >&2; i=$((i+1)); done; exit 1'`,
        }),
        env,
        timeoutMs: 30_000,
      }),
      'proxyCommandFailed',
    );
    const stderr = String(e.details.stderr);
    assert.ok(stderr.length <= 1001, String(stderr.length));
    // eslint-disable-next-line no-control-regex -- the point is that none are left
    assert.doesNotMatch(stderr, /[\x00-\x09\x0b-\x1f]/);
  });

  it('`ProxyCommand -` is refused with its own reason', async () => {
    const e = await rejectsWith(connectSsh({ host: host({ proxyCommand: '-' }), env }), 'proxyCommandFailed');
    assert.equal(e.details.detail, 'stdio');
  });

  it('`ProxyCommand none` connects directly (a closed port refuses: TCP was used)', async () => {
    const port = await closedPort();
    await rejectsWith(
      connectSsh({ host: host({ hostname: '127.0.0.1', port, proxyCommand: 'none' }), env, timeoutMs: 10_000 }),
      'connectionRefused',
    );
  });

  it('cancelled or timed out: the command and what it started are ended', async () => {
    const before = new Set(children());
    // A pipeline in a subshell: two processes besides the command itself, all silent.
    const silent = `sh -c 'sleep 600 | sleep 600'`;
    const ac = new AbortController();
    const p = connectSsh({ host: host({ proxyCommand: silent }), env, signal: ac.signal, timeoutMs: 60_000 });
    await waitUntil('the command and its pipeline run', () => children().filter((c) => !before.has(c)).length >= 3);
    const started = children().filter((c) => !before.has(c));
    ac.abort();
    await rejectsWith(p, 'cancelled');
    await waitUntil('every process it started is gone', () => started.every((pid) => !isAlive(pid)), 10_000);

    const e = await rejectsWith(
      connectSsh({
        host: host({ proxyCommand: `sh -c 'echo waiting >&2; sleep 600 | sleep 600'` }),
        env,
        timeoutMs: 1_500,
      }),
      'timeout',
    );
    assert.equal(e.details.proxyStderr, 'waiting', 'the stderr of a command still running is in the reason');
    await waitUntil(
      'nothing left after the timeout',
      () => children().every((pid) => before.has(pid) || !isAlive(pid)),
      10_000,
    );
  });
});
