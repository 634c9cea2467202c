/**
 * The named exports of a package loaded with `import()`, whichever way it was loaded. Node (and tsx) give a
 * CommonJS package's names on the namespace; a service bundle does not: `npm run build` puts each
 * `import()` in a chunk of its own (scripts/build-plan.ts, ADR 0028), and esbuild's chunk of a CommonJS
 * package exports its `module.exports` as `default` only. A namespace whose one key is `default` is read
 * through it; any other is returned as it is (ES modules, and CommonJS as Node loads it).
 *
 * @example
 * const { Redis } = commonJsExports(await import('ioredis'));
 */
export function commonJsExports<T extends object>(namespace: T): T {
  const keys = Object.keys(namespace);
  if (keys.length !== 1 || keys[0] !== 'default') return namespace;
  return (namespace as { default: T }).default;
}
