import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type DockerEndpoint,
  type EndpointRule,
  defaultDockerHost,
  parseEndpoint,
  resolveDefaultDockerHost,
} from '../../src/core/contexts/endpoint';
import { CoreError } from '../../src/core/common/errors';

function rejects(raw: string, rule: EndpointRule, messagePart?: string): void {
  assert.throws(
    () => parseEndpoint(raw),
    (e: unknown) => {
      assert.ok(
        CoreError.is(e, 'endpointInvalid'),
        `expected endpointInvalid for ${JSON.stringify(raw)}, got ${String(e)}`,
      );
      assert.equal(e.details.rule, rule, `rule for ${JSON.stringify(raw)}: ${e.message}`);
      assert.equal(e.details.endpoint, raw);
      if (messagePart) {
        assert.ok(e.message.includes(messagePart), `message "${e.message}" should contain "${messagePart}"`);
      }
      return true;
    },
  );
}

describe('parseEndpoint: accepted', () => {
  const cases: [string, Omit<DockerEndpoint, 'raw'>][] = [
    ['ssh://host', { scheme: 'ssh', host: 'host' }],
    ['ssh://deploy@example.com:2222', { scheme: 'ssh', user: 'deploy', host: 'example.com', port: 2222 }],
    [
      'ssh://u@h:22/run/user/1000/docker.sock',
      { scheme: 'ssh', user: 'u', host: 'h', port: 22, path: '/run/user/1000/docker.sock' },
    ],
    ['ssh://[::1]:2222', { scheme: 'ssh', host: '::1', port: 2222 }],
    ['ssh://my-alias', { scheme: 'ssh', host: 'my-alias' }],
    ['ssh://h:', { scheme: 'ssh', host: 'h' }], // Go's url.Parse accepts an empty port, so does the CLI
    ['ssh://h?', { scheme: 'ssh', host: 'h' }], // an empty query is not a query for Go (RawQuery "")
    ['ssh://h#', { scheme: 'ssh', host: 'h' }],
    ['ssh://first%2Elast@h', { scheme: 'ssh', user: 'first.last', host: 'h' }],
    ['ssh://u@h@i', { scheme: 'ssh', user: 'u@h', host: 'i' }], // Go splits userinfo at the last '@'
    ['SSH://h', { scheme: 'ssh', host: 'h' }],
    ['unix:///var/run/docker.sock', { scheme: 'unix', path: '/var/run/docker.sock' }],
    ['npipe:////./pipe/docker_engine', { scheme: 'npipe', path: '//./pipe/docker_engine' }],
    ['tcp://1.2.3.4:2376', { scheme: 'tcp', host: '1.2.3.4', port: 2376 }],
    ['tcp://docker.example', { scheme: 'tcp', host: 'docker.example' }],
  ];
  for (const [raw, expected] of cases) {
    test(raw, () => {
      assert.deepEqual(parseEndpoint(raw), { raw, ...expected });
    });
  }
});

describe('parseEndpoint: rejected with the rule and the CLI wording', () => {
  test('password, even an empty one', () => {
    rejects('ssh://u:secret@h', 'password', 'plain-text password is not supported');
    rejects('ssh://u:@h', 'password');
  });
  test('the password rule comes before the host rule, as in the CLI', () => {
    rejects('ssh://u:p@', 'password');
  });
  test('query', () => rejects('ssh://h?x=1', 'query', 'query parameters are not allowed: "x=1"'));
  test('fragment', () => rejects('ssh://h#frag', 'fragment', 'fragments are not allowed: "frag"'));
  test('query before fragment', () => rejects('ssh://h?a=1#f', 'query'));
  test('empty host', () => {
    rejects('ssh://', 'emptyHost', 'hostname is empty');
    rejects('ssh://u@', 'emptyHost');
    rejects('ssh:host', 'emptyHost'); // opaque URL: Go leaves the host empty
    rejects('ssh:///var/run/docker.sock', 'emptyHost');
    rejects('tcp://', 'emptyHost');
  });
  test('empty socket path', () => {
    rejects('unix://', 'emptyPath');
    rejects('npipe://', 'emptyPath');
  });
  test('scheme', () => {
    rejects('http://h', 'scheme');
    rejects('fd://', 'scheme');
    rejects('host.example', 'scheme');
    rejects('/var/run/docker.sock', 'scheme');
    rejects('', 'scheme');
  });
  test('port', () => {
    rejects('ssh://h:abc', 'port', 'invalid port ":abc" after host');
    rejects('ssh://h:0', 'port');
    rejects('ssh://h:65536', 'port');
    rejects('tcp://h:x', 'port');
  });
  test('an ssh user or host that ssh would take for an option', () => {
    rejects('ssh://-oProxyCommand=x', 'leadingDash'); // docker 28.2 accepts this one
    rejects('ssh://-oProxyCommand=x@h', 'leadingDash');
  });
  test('syntax', () => {
    rejects('ssh://h name', 'syntax', 'invalid character " " in host name');
    rejects('ssh://h\\x', 'syntax');
    rejects('ssh://%zz', 'syntax');
    rejects('ssh://h/\n', 'syntax');
    rejects('unix:///x\u0000', 'syntax');
  });
  test('the error is a CoreError with reason endpointInvalid', () => {
    try {
      parseEndpoint('ssh://u:p@h');
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof CoreError);
      assert.equal(e.reason, 'endpointInvalid');
    }
  });
});

describe('defaultDockerHost', () => {
  test('platform defaults when DOCKER_HOST is unset or empty', () => {
    assert.equal(defaultDockerHost({}, 'linux'), 'unix:///var/run/docker.sock');
    assert.equal(defaultDockerHost({ DOCKER_HOST: '' }, 'darwin'), 'unix:///var/run/docker.sock');
    assert.equal(defaultDockerHost({}, 'win32'), 'npipe:////./pipe/docker_engine');
  });
  test('DOCKER_HOST normalised like the CLI (values checked against docker 28.2)', () => {
    const cases: [string, string][] = [
      ['ssh://u@h', 'ssh://u@h'],
      ['tcp://1.2.3.4', 'tcp://1.2.3.4:2375'],
      ['1.2.3.4', 'tcp://1.2.3.4:2375'],
      [':2375', 'tcp://localhost:2375'],
      ['tcp://', 'tcp://localhost:2375'],
      ['unix://', 'unix:///var/run/docker.sock'],
      ['npipe://', 'npipe:////./pipe/docker_engine'],
      ['unix:///x', 'unix:///x'],
      ['tcp://1.2.3.4:2375/', 'tcp://1.2.3.4:2375/'],
      ['h:123/p', 'tcp://h:123/p'],
      ['[::1]:', 'tcp://[::1]:2375'],
      ['/var/x', 'tcp://localhost:2375/var/x'],
      [' tcp://h ', 'tcp://h:2375'],
      [' ', 'unix:///var/run/docker.sock'],
      ['fd://', 'fd://'],
    ];
    for (const [value, expected] of cases) {
      assert.equal(defaultDockerHost({ DOCKER_HOST: value }, 'linux'), expected, value);
    }
  });
  test('TLS variables move the default (not a given DOCKER_HOST) to port 2376', () => {
    assert.equal(defaultDockerHost({ DOCKER_TLS_VERIFY: '1' }, 'linux'), 'tcp://localhost:2376');
    assert.equal(defaultDockerHost({ DOCKER_TLS_VERIFY: '1', DOCKER_HOST: 'tcp://h' }, 'linux'), 'tcp://h:2375');
  });
  test('a DOCKER_HOST the CLI rejects is returned as given, with the reason', () => {
    for (const value of ['http://h', '[::1]', 'tcp://h:abc', 'unix://a://b']) {
      const r = resolveDefaultDockerHost({ DOCKER_HOST: value }, 'linux');
      assert.equal(r.host, value);
      assert.ok(CoreError.is(r.error, 'endpointInvalid'), value);
    }
  });
});
