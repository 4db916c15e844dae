import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { parseHubName, formatHubName } from './name.js';
import { isGlmError } from '../util/errors.js';

test('OWNER/NAME[@REVISION] parses; local paths and other strings are not Hub names', () => {
  assert.deepEqual(parseHubName('THUDM/glm-large'), { repo: 'THUDM/glm-large', revision: 'main' });
  assert.deepEqual(parseHubName('THUDM/glm-10b@v1.0'), { repo: 'THUDM/glm-10b', revision: 'v1.0' });
  assert.deepEqual(parseHubName('a.b/c_d.e@0123456789abcdef0123456789abcdef01234567'), { repo: 'a.b/c_d.e', revision: '0123456789abcdef0123456789abcdef01234567' });
  assert.deepEqual(parseHubName('owner/name@refs/pr/1'), { repo: 'owner/name', revision: 'refs/pr/1' });
  for (const s of ['glm-large', './a/b', '../a/b', '/abs/dir', 'a/b/c', 'a//b', '.a/b', 'a/b.', 'a/..', os.tmpdir()]) assert.equal(parseHubName(s), null, s);
  assert.throws(() => parseHubName('owner/name@'), (e: unknown) => isGlmError(e, 'E_HUB_NAME'));
  assert.throws(() => parseHubName('owner/name@a b'), (e: unknown) => isGlmError(e, 'E_HUB_NAME'));
  assert.equal(formatHubName({ repo: 'o/n', revision: 'main' }), 'o/n');
  assert.equal(formatHubName({ repo: 'o/n', revision: 'dev' }), 'o/n@dev');
});
