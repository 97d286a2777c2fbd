import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeEnvironment, undoEnvironment, windowContext } from '../../src/core/contexts/workspaceContext';

describe('windowContext', () => {
  const global = { name: 'a', source: 'config' as const, configured: 'a' };
  test('the workspace context wins over the global one and an inherited DOCKER_CONTEXT', () => {
    assert.deepEqual(windowContext(global, {}, 'b'), { name: 'b', source: 'workspace', global, workspace: 'b' });
    const fromEnv = { name: 'c', source: 'DOCKER_CONTEXT' as const };
    assert.equal(windowContext(fromEnv, { dockerContext: 'c' }, 'b').name, 'b');
  });
  test('DOCKER_HOST still wins, as it does for the CLI; the choice is remembered', () => {
    const forced = { name: 'default', source: 'DOCKER_HOST' as const };
    assert.deepEqual(windowContext(forced, { dockerHost: 'tcp://x:2375' }, 'b'), {
      name: 'default',
      source: 'DOCKER_HOST',
      global: forced,
      workspace: 'b',
    });
  });
  test('no workspace context: the global one', () => {
    assert.deepEqual(windowContext(global, {}, undefined), { name: 'a', source: 'config', global });
  });
});

describe('mergeEnvironment / undoEnvironment', () => {
  test('a new setting is created and removed whole', () => {
    const { next, edit } = mergeEnvironment(undefined, 'DOCKER_CONTEXT', 'b');
    assert.deepEqual(next, { DOCKER_CONTEXT: 'b' });
    assert.equal(undoEnvironment(next, edit), undefined);
  });
  test('other entries are kept, a replaced value comes back', () => {
    const before = { FOO: '1', DOCKER_CONTEXT: 'old', ODD: 3 };
    const { next, edit } = mergeEnvironment(before, 'DOCKER_CONTEXT', 'b');
    assert.deepEqual(next, { FOO: '1', DOCKER_CONTEXT: 'b', ODD: 3 });
    assert.deepEqual(undoEnvironment(next, edit), before);
  });
  test('an existing empty object stays; a value changed since is left alone', () => {
    const { next, edit } = mergeEnvironment({}, 'DOCKER_CONTEXT', 'b');
    assert.deepEqual(undoEnvironment(next, edit), {});
    assert.equal(undoEnvironment({ DOCKER_CONTEXT: 'theirs' }, edit), 'unchanged');
    assert.equal(undoEnvironment(undefined, edit), 'unchanged');
  });
});
