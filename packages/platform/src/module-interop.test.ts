import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commonJsExports } from './module-interop.ts';

describe('commonJsExports', () => {
  test("reads a bundle chunk's CommonJS package through its default export", () => {
    class Redis {}
    const moduleExports = Object.assign(Redis, { Redis });
    const chunkNamespace = Object.freeze({ default: moduleExports });
    assert.equal(commonJsExports(chunkNamespace as unknown as { Redis: typeof Redis }).Redis, Redis);
  });

  test('returns a namespace that carries named exports as it is (Node, tsx, ES modules)', async () => {
    const namespace = await import('node:path');
    assert.equal(commonJsExports(namespace), namespace);
    assert.equal(typeof commonJsExports(namespace).join, 'function');
  });
});
