import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { awsCredentialsHeader, identityHeader, sealAwsCredentials, signIdentity } from '@ashapp/platform';
import type { Kysely } from 'kysely';
import type { EcrRegistryLogin } from '../registry/ecr-sign-in.ts';
import { startLocalRegistry, type LocalRegistry } from '../../test/local-registry.ts';
import {
  createFakeTarget,
  identityHeaders,
  startTestDeployer,
  testSecret,
  users,
  type FakeTarget,
  type TestDeployer,
} from '../../test/service-harness.ts';

describe('registry sign-in routes against a real docker-registry with htpasswd', () => {
  let registry: LocalRegistry;
  let target: FakeTarget;
  let deployer: TestDeployer;
  const ecrCalls: Array<{ region: string; accessKeyId: string }> = [];

  before(async () => {
    registry = await startLocalRegistry();
    target = await createFakeTarget();
    deployer = await startTestDeployer({
      target,
      config: { insecureRegistries: [registry.host] },
      // ECR itself cannot be reached from a test; this fake answers what GetAuthorizationToken would.
      readEcrLogin: async (options): Promise<EcrRegistryLogin> => {
        ecrCalls.push({ region: options.region, accessKeyId: options.credentials.accessKeyId });
        return {
          registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
          username: 'AWS',
          password: 'ecr-token-secret',
          expiresAt: new Date(Date.now() + 3_600_000),
        };
      },
    });
  });
  after(async () => {
    await deployer?.close();
    await target?.close();
    await registry?.stop();
  });

  const login = (body: Record<string, unknown>, headers = identityHeaders(users.alice)) =>
    deployer.app.inject({ method: 'POST', url: '/deployer-api/docker-login', payload: body, headers });

  test('answers 401 for wrong credentials and 200 for right ones, checked against the registry', async () => {
    const wrong = await login({
      docker_user: registry.username,
      docker_token: 'wrong',
      registry: registry.host,
    });
    assert.equal(wrong.statusCode, 401);
    const right = await login({
      docker_user: registry.username,
      docker_token: registry.password,
      registry: registry.host,
    });
    assert.equal(right.statusCode, 200, right.body);
    assert.equal(right.json().success, true);
    assert.equal(right.json().registry, registry.host);
    assert.ok(!right.body.includes(registry.password), 'the token never comes back');
  });

  test('reports who is signed in for this session only, never the token', async () => {
    const status = await deployer.app.inject({
      url: '/deployer-api/registry',
      headers: identityHeaders(users.alice),
    });
    assert.deepEqual(
      { ...(status.json() as Record<string, unknown>), expires_at: undefined },
      { signed_in: true, registry: registry.host, username: registry.username, expires_at: undefined },
    );
    const otherSession = await deployer.app.inject({
      url: '/deployer-api/registry',
      headers: identityHeaders(users.alice, ['user'], 'another-session'),
    });
    assert.equal(otherSession.json().signed_in, false);
    const otherUser = await deployer.app.inject({
      url: '/deployer-api/registry',
      headers: identityHeaders(users.bob),
    });
    assert.equal(otherUser.json().signed_in, false);
  });

  test('stores the credentials sealed (no token in the database) and forgets them on logout', async () => {
    const db = deployer.database.db as unknown as Kysely<{ registry_logins: Record<string, unknown> }>;
    const rows = await db.selectFrom('registry_logins').selectAll().execute();
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(registry.password));
    assert.match(String(rows[0]?.sealed), /^v1\./);
    const audit = JSON.stringify(await deployer.auditEvents());
    assert.ok(!audit.includes(registry.password), 'no token in audit events');
    assert.ok(!deployer.logLines.join('\n').includes(registry.password), 'no token in logs');
    const out = await deployer.app.inject({
      method: 'POST',
      url: '/deployer-api/docker-logout',
      payload: {},
      headers: identityHeaders(users.alice),
    });
    assert.equal(out.statusCode, 200);
    assert.equal((await db.selectFrom('registry_logins').selectAll().execute()).length, 0);
    assert.equal(
      (
        await deployer.app.inject({ url: '/deployer-api/registry', headers: identityHeaders(users.alice) })
      ).json().signed_in,
      false,
    );
  });

  test('answers 400 naming the field for a malformed registry host or missing user', async () => {
    const host = await login({ docker_user: 'u', docker_token: 't', registry: 'evil.example.com/../x?y' });
    assert.equal(host.statusCode, 400);
    assert.match(host.json().error.message, /registry/);
    const user = await login({ docker_user: '', docker_token: 't', registry: registry.host });
    assert.equal(user.statusCode, 400);
    assert.match(user.json().error.message, /docker_user/);
  });

  test('signs in to Amazon ECR with the AWS session the gateway sealed for this request', async () => {
    const requestId = 'req-ecr-1';
    const headers = {
      [identityHeader]: signIdentity(
        { userId: users.alice, roles: ['user'], requestId, sessionId: 's-ecr' },
        testSecret,
      ),
      [awsCredentialsHeader]: sealAwsCredentials(
        { accessKeyId: 'AKIAEXAMPLEKEY', secretAccessKey: 'secret', region: 'eu-west-1' },
        testSecret,
        requestId,
      ),
    };
    const res = await login({ docker_user: '', docker_token: '', registry: 'ecr' }, headers);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().registry, '123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    assert.equal(res.json().username, 'AWS');
    assert.deepEqual(ecrCalls.at(-1), { region: 'eu-west-1', accessKeyId: 'AKIAEXAMPLEKEY' });
    const missing = await login(
      { docker_user: '', docker_token: '', registry: 'ecr' },
      identityHeaders(users.alice),
    );
    assert.equal(missing.statusCode, 401, 'no AWS session handed over');
  });
});
