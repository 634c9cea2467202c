import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, NotAllowedError, type Identity } from '@ashapp/platform';
import { readDeployerConfig } from '../config.ts';
import { createNamespacePolicy, readUserNamespace } from './namespace-policy.ts';

const who = (userId: string, admin = false): Identity => ({
  userId,
  roles: admin ? ['user', 'admin'] : ['user'],
  requestId: 'r',
});
const alice = who('arn:aws:iam::111111111111:user/alice');
const bob = who('arn:aws:iam::111111111111:user/bob');
const admin = who('arn:aws:iam::111111111111:user/admin', true);

describe('namespace policy', () => {
  const policy = createNamespacePolicy({ perUser: true, shared: ['team-a'], platform: 'ashapp' });

  test('derives one namespace per user, injectively, as a DNS-1123 label', () => {
    const ids = [
      alice.userId,
      bob.userId,
      'arn:aws:iam::222222222222:user/alice',
      'arn:aws:iam::111111111111:user/Alice',
      'arn:aws:sts::111111111111:assumed-role/Admin/alice',
      `arn:aws:iam::111111111111:user/${'x'.repeat(200)}`,
      'arn:aws:iam::111111111111:user/___',
    ];
    const names = ids.map(readUserNamespace);
    assert.equal(new Set(names).size, ids.length, names.join('\n'));
    for (const name of names) assert.match(name, /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.match(readUserNamespace(alice.userId), /^u-alice-[0-9a-f]{12}$/);
  });

  test("a request without a namespace goes to the caller's own; own and shared ones are allowed", () => {
    assert.equal(policy.resolve(alice, undefined), readUserNamespace(alice.userId));
    assert.equal(policy.resolve(alice, ''), readUserNamespace(alice.userId));
    assert.equal(policy.resolve(alice, 'team-a'), 'team-a');
    assert.deepEqual(policy.allowedFor(alice), [readUserNamespace(alice.userId), 'team-a']);
  });

  test("refuses kube-system, kube-public, default, the platform's namespace and other users' with 403 naming the allowed ones", () => {
    for (const namespace of [
      'kube-system',
      'kube-public',
      'kube-node-lease',
      'default',
      'ashapp',
      'other',
      readUserNamespace(bob.userId),
    ]) {
      assert.throws(
        () => policy.resolve(alice, namespace),
        (err: unknown) =>
          err instanceof NotAllowedError &&
          err.message ===
            `namespace: ${namespace} is not a namespace you may deploy into; allowed: ${readUserNamespace(alice.userId)}, team-a`,
      );
    }
    assert.throws(() => policy.resolve(alice, 'Not_A_Name'), InputError);
  });

  test("admins may act in users' namespaces, never in reserved ones", () => {
    assert.equal(policy.resolve(admin, readUserNamespace(alice.userId)), readUserNamespace(alice.userId));
    assert.throws(() => policy.resolve(admin, 'kube-system'), NotAllowedError);
    assert.throws(() => policy.resolve(admin, 'ashapp'), NotAllowedError);
  });

  test("with per-user namespaces off, only the operator's list is allowed and its first entry is the default", () => {
    const shared = createNamespacePolicy({ perUser: false, shared: ['apps', 'team-a'], platform: 'ashapp' });
    assert.equal(shared.resolve(alice, undefined), 'apps');
    assert.throws(() => shared.resolve(alice, readUserNamespace(alice.userId)), NotAllowedError);
  });

  test('configuration refuses reserved namespaces in DEPLOYER_NAMESPACES and an empty choice', (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ashapp-namespace-policy-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const base = {
      ASHAPP_DATA_DIR: dataDir,
      DEPLOYER_TARGET: 'podman',
      DEPLOYER_ENCRYPTION_KEY: 'a'.repeat(64),
    };
    assert.deepEqual(readDeployerConfig({ ...base, DEPLOYER_NAMESPACES: 'apps, team-a' }).namespaces, {
      perUser: true,
      shared: ['apps', 'team-a'],
      platform: 'ashapp',
    });
    for (const bad of ['kube-system', 'kube-public', 'ashapp', 'Bad_Name']) {
      assert.throws(() => readDeployerConfig({ ...base, DEPLOYER_NAMESPACES: bad }), /DEPLOYER_NAMESPACES/);
    }
    assert.throws(
      () => readDeployerConfig({ ...base, DEPLOYER_USER_NAMESPACES: 'false' }),
      /DEPLOYER_USER_NAMESPACES=false needs DEPLOYER_NAMESPACES/,
    );
  });
});
