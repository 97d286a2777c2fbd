/**
 * Reasons for Engine API failures. The stderr texts are what `docker system dial-stdio`
 * (docker CLI 28.2) and bash printed on this machine kind for each fault; the integration tests
 * produce the same faults for real.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dialStdioError, localSocketError, probeError, type SocketContext } from '../../src/core/engine/engineErrors';
import { checkRemoteSocketPath, remoteSocketOf, type SocketFacts } from '../../src/core/engine/remoteSocket';
import { apiError } from '../../src/core/engine/engineHttp';
import { CoreError } from '../../src/core/common/errors';

const ctx = (daemonSeen = false): SocketContext => ({
  socketPath: '/var/run/docker.sock',
  local: false,
  where: 'ubuntu@example.com:22',
  daemonSeen,
  base: { host: 'example.com', port: 22, user: 'ubuntu' },
});

describe('dialStdioError', () => {
  test('docker missing on the remote PATH', () => {
    const e = dialStdioError('bash: line 1: docker: command not found\n', 127, ctx());
    assert.equal(e?.reason, 'dockerCliMissing');
    assert.equal(e?.details.host, 'example.com');
    assert.equal(dialStdioError('zsh:1: command not found: docker\n', 127, ctx())?.reason, 'dockerCliMissing');
    assert.equal(dialStdioError('sh: 1: docker: not found\n', 127, ctx())?.reason, 'dockerCliMissing');
  });

  test('permission denied names the socket dial-stdio used', () => {
    const e = dialStdioError(
      'failed to open the raw stream connection: dial unix /tmp/d/docker.sock: connect: permission denied\n',
      1,
      ctx(),
    );
    assert.equal(e?.reason, 'dockerSocketPermission');
    assert.equal(e?.details.path, '/tmp/d/docker.sock');
    assert.equal(e?.details.user, 'ubuntu');
  });

  test('connection refused means the daemon is not running', () => {
    const e = dialStdioError(
      'failed to open the raw stream connection: dial unix /tmp/d/stale.sock: connect: connection refused\n',
      1,
      ctx(),
    );
    assert.equal(e?.reason, 'daemonNotRunning');
  });

  test('a missing socket: never seen → socket missing; seen before → the daemon stopped', () => {
    const text =
      'failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: no such file or directory\n';
    assert.equal(dialStdioError(text, 1, ctx(false))?.reason, 'dockerSocketMissing');
    assert.equal(dialStdioError(text, 1, ctx(true))?.reason, 'daemonNotRunning');
  });

  test('the CLI message without details, other failures, and silence', () => {
    assert.equal(
      dialStdioError(
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
        1,
        ctx(),
      )?.reason,
      'daemonNotRunning',
    );
    const other = dialStdioError('unknown flag: --host\n', 125, ctx());
    assert.equal(other?.reason, 'remoteCommandFailed');
    assert.equal(other?.details.stderr, 'unknown flag: --host');
    assert.equal(dialStdioError('', 0, ctx()), undefined);
  });
});

describe('probeError (stream-local "open failed" explained by the remote socket probe)', () => {
  const facts = (f: Partial<SocketFacts>): SocketFacts => ({ kind: 'socket', access: 'rw', lsDenied: false, ...f });
  test('each probe answer', () => {
    assert.equal(probeError(facts({ kind: 'missing' }), ctx(), false)?.reason, 'dockerSocketMissing');
    assert.equal(probeError(facts({ kind: 'missing' }), ctx(true), true)?.reason, 'daemonNotRunning');
    const denied = probeError(facts({ access: 'denied', user: 'bob', group: 'docker' }), ctx(), false);
    assert.equal(denied?.reason, 'dockerSocketPermission');
    assert.equal(denied?.details.user, 'bob');
    assert.equal(denied?.details.group, 'docker');
    // A directory on the way closed to the user: `test -S` says missing, ls says why.
    assert.equal(
      probeError(facts({ kind: 'missing', lsDenied: true }), ctx(), false)?.reason,
      'dockerSocketPermission',
    );
    const other = probeError(facts({ kind: 'other' }), ctx(), false);
    assert.equal(other?.reason, 'dockerSocketMissing');
    assert.equal(other?.details.detail, 'notSocket');
    // An accessible socket that sshd cannot reach: forwarding is off, unless it worked before.
    assert.equal(probeError(facts({}), ctx(), false)?.reason, 'streamLocalForbidden');
    assert.equal(probeError(facts({}), ctx(true), true)?.reason, 'daemonNotRunning');
    assert.equal(probeError(undefined, ctx(), false), undefined);
  });
});

describe('local and remote sockets are told apart in the details', () => {
  test('a missing socket of this machine says local, a remote one names its host', () => {
    const local = localSocketError(Object.assign(new Error('x'), { code: 'ENOENT' }), {
      socketPath: '/run/x.sock',
      local: true,
      where: 'this machine',
      daemonSeen: false,
      base: { endpoint: 'unix:///run/x.sock' },
    });
    assert.equal(local?.reason, 'dockerSocketMissing');
    assert.equal(local?.details.local, true);
    assert.equal(local?.details.host, undefined);
    const remote = probeError({ kind: 'missing', lsDenied: false }, ctx(), false);
    assert.equal(remote?.details.local, undefined);
    assert.equal(remote?.details.host, 'example.com');
  });
});

describe('the remote socket path rule', () => {
  test('the URL path, else /var/run/docker.sock', () => {
    assert.deepEqual(remoteSocketOf(undefined), { path: '/var/run/docker.sock', explicit: false });
    assert.deepEqual(remoteSocketOf('/'), { path: '/var/run/docker.sock', explicit: false });
    assert.deepEqual(remoteSocketOf('/run/user/1000/docker.sock'), {
      path: '/run/user/1000/docker.sock',
      explicit: true,
    });
  });
  test('quotes and $() are data (the path travels on stdin); control characters and relative paths are refused', () => {
    for (const ok of ["/tmp/x'; rm -rf ~; '", '/tmp/$(id)', '/tmp/my dir/docker.sock', '/tmp/a!b']) {
      assert.doesNotThrow(() => checkRemoteSocketPath(ok), ok);
    }
    for (const bad of [
      '/tmp/a\nb',
      '/tmp/a\rb',
      '/tmp/a\u0000b',
      '/tmp/a\u001bb',
      'relative/docker.sock',
      '/' + 'x'.repeat(1100),
    ]) {
      assert.throws(
        () => checkRemoteSocketPath(bad),
        (e: unknown) => CoreError.is(e, 'endpointInvalid') && e.details.rule === 'socketPath',
        JSON.stringify(bad),
      );
    }
  });
});

describe('apiError', () => {
  test('carries the daemon message and status', () => {
    const e = apiError(404, Buffer.from('{"message":"No such container: nope"}\n'), 'GET /containers/nope/json');
    assert.equal(e.reason, 'engineApiError');
    assert.equal(e.details.status, 404);
    assert.equal(e.details.message, 'No such container: nope');
  });
  test('a non-JSON body is kept as text', () => {
    assert.equal(apiError(502, 'Bad Gateway', 'GET /info').details.message, 'Bad Gateway');
  });
});
