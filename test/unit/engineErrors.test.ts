/**
 * Reasons for Engine API failures. The stderr texts are what `docker system dial-stdio`
 * (docker CLI 28.2) and bash printed on this machine kind for each fault; the integration tests
 * produce the same faults for real.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dialStdioError, probeError, quoteRemotePath, type SocketContext } from '../../src/core/engine/engineErrors';
import { apiError } from '../../src/core/engine/engineHttp';
import { CoreError } from '../../src/core/common/errors';

const ctx = (daemonSeen = false): SocketContext => ({
  socketPath: '/var/run/docker.sock',
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

describe('probeError (stream-local "open failed" explained by test(1) on the remote)', () => {
  test('each probe answer', () => {
    assert.equal(probeError('missing', ctx(), false)?.reason, 'dockerSocketMissing');
    assert.equal(probeError('missing', ctx(true), true)?.reason, 'daemonNotRunning');
    assert.equal(probeError('denied', ctx(), false)?.reason, 'dockerSocketPermission');
    assert.equal(probeError('notsocket', ctx(), false)?.reason, 'dockerSocketMissing');
    // An accessible socket that sshd cannot reach: forwarding is off, unless it worked before.
    assert.equal(probeError('ok', ctx(), false)?.reason, 'streamLocalForbidden');
    assert.equal(probeError('ok', ctx(true), true)?.reason, 'daemonNotRunning');
    assert.equal(probeError('unknown', ctx(), false), undefined);
  });
});

describe('quoteRemotePath', () => {
  test('quotes ordinary socket paths', () => {
    assert.equal(quoteRemotePath('/var/run/docker.sock'), "'/var/run/docker.sock'");
    assert.equal(quoteRemotePath('/run/user/1000/docker.sock'), "'/run/user/1000/docker.sock'");
    assert.equal(quoteRemotePath('/tmp/my dir/docker.sock'), "'/tmp/my dir/docker.sock'");
  });
  test('refuses what could leave the quotes in some shell', () => {
    for (const bad of [
      "/tmp/x'; rm -rf ~; '",
      '/tmp/a\\b',
      '/tmp/$(id)',
      '/tmp/`id`',
      '/tmp/a!b',
      '/tmp/a\nb',
      'relative/docker.sock',
      '/tmp/a"b',
      '/tmp/a;b',
    ]) {
      assert.throws(
        () => quoteRemotePath(bad),
        (e: unknown) => CoreError.is(e, 'endpointInvalid'),
        bad,
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
