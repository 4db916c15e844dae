import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, backendNames, getBackendByName, isBackendName, referenceBackend, tryBackend, withBackend, backend } from './index.js';
import { isGlmError } from '../util/errors.js';

test('the backend table: unique names, reference among them, names resolve to their backend', () => {
  const names = backendNames();
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.includes('reference'));
  assert.deepEqual(names, BACKENDS.map((b) => b.name));
  assert.equal(getBackendByName('reference'), referenceBackend);
  assert.equal(isBackendName('reference'), true);
  assert.equal(isBackendName('gpu'), false);
  for (const name of names) {
    const b = tryBackend(name);
    if (b) assert.equal(b.name, name, `the table's ${name} entry loads a backend named ${b.name}`);
  }
});

test('an unknown backend name is a named error; withBackend by name switches and restores', () => {
  assert.throws(() => getBackendByName('gpu'), (e: unknown) => isGlmError(e, 'E_BACKEND') && (e as Error).message.includes(`known: ${backendNames().join(', ')}`));
  const before = backend();
  withBackend('reference', () => assert.equal(backend(), referenceBackend));
  assert.equal(backend(), before);
});
