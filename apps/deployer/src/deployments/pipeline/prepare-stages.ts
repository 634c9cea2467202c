import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBuildContext } from '../../build/dockerfile.ts';
import { parseManifests } from '../../manifests/parse-manifests.ts';
import { renderManifests, type KubeObject } from '../../manifests/render-manifests.ts';
import { readImageName } from './image-name.ts';
import { StepError } from './pipeline-types.ts';
import type { RunContext } from './run-context.ts';

/** What the Python check found in pasted code; the generated wrapper needs it. */
export interface CheckedSource {
  appVariable: string;
  appHasHealthRoute: boolean;
}

/** The image to run and the objects to apply; a build context when the image has to be built first. */
export interface PreparedRelease {
  image: string;
  objects: KubeObject[];
  contextDir: string | undefined;
  /** A git source the builder clones inside its own build (a Kubernetes Job, ADR 0027): checked, not cloned. */
  git?: { url: string; ref: string };
  /** Removes the build context or checkout (also after a failure). */
  cleanup(): Promise<void>;
}

/** Validating: pasted code goes through Python's own parser (never run); other sources need no check. */
export async function validateSource(ctx: RunContext): Promise<CheckedSource> {
  const { row, source, settings } = ctx.plan;
  await ctx.step('Validating', `checking ${row.app_name} in ${row.namespace}`);
  if (source.type === 'revision') {
    ctx.journal.log(`rolling back to revision ${source.revision} (${source.image})`);
  }
  if (source.type !== 'code') return { appVariable: 'app', appHasHealthRoute: false };
  ctx.journal.log("checking the code with Python's own parser");
  const check = await ctx.deps.checker.checkFlaskApp(source.code, { requestedPort: settings.containerPort });
  if (!check.ok) {
    const { line, column, message } = check.syntaxError;
    throw new StepError(
      `code: ${message}${line !== null ? ` (line ${line}${column !== null ? `, column ${column}` : ''})` : ''}`,
    );
  }
  ctx.journal.log(
    `Flask app object: ${check.module}:${check.appVariable}; routes: ${check.routes.join(', ') || '(none)'}`,
  );
  return { appVariable: check.appVariable, appHasHealthRoute: check.hasHealthRoute };
}

/** The image this deployment runs: the revision's own for a rollback, else where the build puts it. */
export function readReleaseImage(ctx: RunContext): string {
  const { source } = ctx.plan;
  return source.type === 'revision' ? source.image : readImageName({ ...ctx.plan, owner: ctx.app.owner });
}

/** Preparing: the build context (generated or cloned) and the manifests, validated before anything runs. */
export async function prepareRelease(
  ctx: RunContext,
  checked: CheckedSource,
  image: string,
): Promise<PreparedRelease> {
  const { row, source, settings } = ctx.plan;
  await ctx.step(
    'Preparing',
    source.type !== 'git'
      ? undefined
      : ctx.deps.builder?.clonesGit
        ? `checking ${source.repoUrl} at ${source.ref} (the build Job clones it)`
        : `cloning ${source.repoUrl} at ${source.ref}`,
  );
  const release =
    source.type === 'revision'
      ? { image, objects: parseManifests(source.manifest), contextDir: undefined, cleanup: async () => {} }
      : await prepareBuild(ctx, checked, image);
  try {
    if (source.type !== 'revision') {
      release.objects = renderManifests({
        appName: row.app_name,
        namespace: row.namespace,
        image: release.image,
        kind: settings.kind,
        replicas: settings.replicas,
        serviceType: settings.serviceType,
        containerPort: settings.containerPort,
        revision: row.revision,
        ...(settings.ingress ? { ingress: settings.ingress } : {}),
        ...(settings.hpa ? { hpa: settings.hpa } : {}),
      });
    }
    ctx.deps.validator.assertValid(release.objects);
  } catch (err) {
    await release.cleanup();
    throw err;
  }
  ctx.journal.log(
    `manifests validated: ${release.objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
  );
  return release;
}

async function prepareBuild(
  ctx: RunContext,
  checked: CheckedSource,
  image: string,
): Promise<PreparedRelease> {
  const { source, settings } = ctx.plan;
  const { config } = ctx.deps;
  await mkdir(config.workDir, { recursive: true, mode: 0o700 });
  if (source.type === 'code') {
    const dir = await mkdtemp(join(config.workDir, 'context-'));
    const cleanup = () => rm(dir, { recursive: true, force: true });
    try {
      await writeBuildContext({
        dir,
        code: source.code,
        ...(source.requirements !== undefined ? { requirements: source.requirements } : {}),
        appVariable: checked.appVariable,
        appHasHealthRoute: checked.appHasHealthRoute,
        containerPort: settings.containerPort,
        baseImage: config.baseImage,
        runtimeInstalled: config.baseImageHasRuntime,
      });
    } catch (err) {
      await cleanup();
      throw err;
    }
    ctx.journal.log(
      `build context written (app.py, WSGI wrapper${source.requirements ? ', requirements.txt' : ''}, Dockerfile from ${config.baseImage})`,
    );
    return { image, objects: [], contextDir: dir, cleanup };
  }
  if (source.type !== 'git') throw new Error('a revision has nothing to build');
  if (ctx.deps.builder?.clonesGit) {
    // Cloned inside the build Job, under the build namespace's NetworkPolicy: nothing is cloned here.
    const git = await ctx.deps.git.check({ repoUrl: source.repoUrl, ref: source.ref });
    return { image, objects: [], contextDir: undefined, git, cleanup: async () => {} };
  }
  const checkout = await ctx.deps.git.clone({
    repoUrl: source.repoUrl,
    ref: source.ref,
    log: (line) => ctx.journal.log(line),
  });
  ctx.journal.log(`checked out ${source.ref} at ${checkout.commit}`);
  return { image, objects: [], contextDir: checkout.dir, cleanup: () => checkout.remove() };
}

/** Building: the image is built in the sandbox and pushed when a registry is signed in. */
export async function buildRelease(ctx: RunContext, release: PreparedRelease): Promise<void> {
  if (release.contextDir === undefined && !release.git) return;
  const { builder, config } = ctx.deps;
  const { image } = release;
  const registry = ctx.plan.registry;
  if (!builder)
    throw new StepError('no image builder is available on this host (buildah or a Docker daemon)');
  await ctx.step('Building', `building ${image} with ${builder.name}`);
  if (builder.buildAndPush) {
    // Built elsewhere (a Kubernetes Job): nothing stays local, so the image goes straight to the registry.
    if (!registry)
      throw new StepError(
        `${builder.name} builds push to a registry: sign in to one first (there is no local image storage)`,
      );
    const { git } = release;
    const done = await builder.buildAndPush({
      ...(git
        ? {
            git: {
              ...git,
              onCommit: (commit) => ctx.journal.log(`checked out ${git.ref} at ${commit}`),
            },
          }
        : { contextDir: release.contextDir }),
      image,
      log: (line) => ctx.journal.log(line),
      insecureRegistries: config.insecureRegistries,
      timeoutMs: config.buildTimeoutMs,
      signal: ctx.signal,
      push: { registry: registry.registry, credentials: registry.credentials, insecure: registry.insecure },
    });
    ctx.journal.log(
      `built and pushed ${image}${done.digest ? ` (${done.digest})` : ''} in ${(done.durationMs / 1000).toFixed(1)} s`,
    );
    return;
  }
  if (release.contextDir === undefined)
    throw new StepError(`${builder.name} does not clone repositories: the deployer clones them`);
  const built = await builder.build({
    contextDir: release.contextDir,
    image,
    log: (line) => ctx.journal.log(line),
    pull: 'missing',
    insecureRegistries: config.insecureRegistries,
    timeoutMs: config.buildTimeoutMs,
    signal: ctx.signal,
  });
  ctx.journal.log(`built ${image} in ${(built.durationMs / 1000).toFixed(1)} s`);
  if (!registry) {
    ctx.journal.log('no registry signed in: the image stays in local storage for the podman target');
    return;
  }
  ctx.journal.log(`pushing ${image} to ${registry.registry}`);
  const pushed = await builder.push({
    image,
    registry: registry.registry,
    credentials: registry.credentials,
    insecure: registry.insecure,
    log: (line) => ctx.journal.log(line),
    timeoutMs: config.buildTimeoutMs,
    signal: ctx.signal,
  });
  ctx.journal.log(
    `pushed ${image}${pushed.digest ? ` (${pushed.digest})` : ''} in ${(pushed.durationMs / 1000).toFixed(1)} s`,
  );
}
