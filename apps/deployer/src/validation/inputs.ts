import { InputError } from '@ashapp/platform';

/**
 * Validators for everything a caller hands the deployer. Each returns the accepted value (trimmed or
 * defaulted) or throws an `InputError` whose details name the field, so the route answers 400 with what
 * was wrong. Values that pass contain no characters with meaning to YAML, a shell or git option parsing.
 */

function fail(field: string, message: string): never {
  throw new InputError(`${field}: ${message}`, { field });
}

function requireString(field: string, value: unknown): string {
  if (typeof value !== 'string') fail(field, 'must be a string');
  return value;
}

/** Characters below space and DEL: never valid in any field here (newlines smuggle YAML and headers). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlCharacters = /[\u0000-\u001f\u007f]/;

const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The longest app name: the name also becomes derived object names (`<app>-green`, `<app>-canary`,
 * `<namespace>-<app>` on podman) that must stay within the 63-character label limit.
 */
export const maxAppNameLength = 50;

/** An app name is a DNS-1035 label (a Service name must start with a letter), at most 50 characters. */
export function validateAppName(value: unknown, field = 'app_name'): string {
  const name = requireString(field, value);
  if (name.length === 0) fail(field, 'is required');
  if (name.length > maxAppNameLength) fail(field, `must be at most ${maxAppNameLength} characters`);
  if (!dns1035Label.test(name)) {
    fail(
      field,
      'must be lowercase letters, digits and dashes, start with a letter and end with a letter or digit',
    );
  }
  const reserved = reservedAppSuffixes.find((suffix) => name.endsWith(suffix));
  if (reserved)
    fail(
      field,
      `must not end with "${reserved}": the deployer names blue-green and canary workloads that way`,
    );
  return name;
}

/**
 * Suffixes of derived workload names (`<app>-blue`, `<app>-green`, `<app>-canary`). An app named `x-canary`
 * would be the same Kubernetes object as app `x`'s canary, so such names are refused: names stay injective.
 */
export const reservedAppSuffixes = Object.freeze(['-blue', '-green', '-canary']);

/** A namespace is a DNS-1123 label of at most 63 characters; empty means `default`. */
export function validateNamespace(value: unknown, field = 'namespace'): string {
  if (value === undefined || value === null || value === '') return 'default';
  const name = requireString(field, value);
  if (name.length > 63) fail(field, 'must be at most 63 characters');
  if (!dns1123Label.test(name)) {
    fail(field, 'must be lowercase letters, digits and dashes, starting and ending with a letter or digit');
  }
  return name;
}

// The grammar of github.com/distribution/reference, written out as regular expressions.
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainPattern = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const tagPattern = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const registryHostRegExp = new RegExp(`^${domainPattern}$`);
const repositoryRegExp = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagRegExp = new RegExp(`^${tagPattern}$`);
const referenceRegExp = new RegExp(
  `^(?:(${domainPattern})/)?(${pathComponent}(?:/${pathComponent})*)(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);

export interface ImageReference {
  /** Registry host as written, or undefined when the reference has none (Docker Hub). */
  registry: string | undefined;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

/**
 * Parses an image reference (`[registry/]repository[:tag][@digest]`). As Docker does, the first path
 * segment is a registry only when it contains a dot or a colon or is `localhost`.
 */
export function validateImageReference(value: unknown, field = 'image'): ImageReference {
  const text = requireString(field, value);
  if (text.length === 0) fail(field, 'is required');
  if (text.length > 255 + 130) fail(field, 'is too long');
  const match = referenceRegExp.exec(text);
  if (!match) fail(field, 'is not a valid image reference ([registry/]name[:tag][@digest])');
  let registry = match[1];
  let repository = match[2] ?? '';
  // A first segment like `user` in `user/app` matched as a domain: it is part of the repository.
  if (registry !== undefined && !/[.:]/.test(registry) && registry !== 'localhost') {
    if (!repositoryRegExp.test(registry)) fail(field, 'is not a valid image reference');
    repository = `${registry}/${repository}`;
    registry = undefined;
  }
  if (repository.length > 255) fail(field, 'repository name must be at most 255 characters');
  return { registry, repository, tag: match[3], digest: match[4] };
}

/** A repository path without registry or tag, e.g. `ashwanth01/app`. */
export function validateRepositoryName(value: unknown, field = 'image_name'): string {
  const text = requireString(field, value);
  if (text.length === 0 || text.length > 255 || !repositoryRegExp.test(text)) {
    fail(
      field,
      'must be lowercase path components ([a-z0-9] separated by . _ - or /), at most 255 characters',
    );
  }
  return text;
}

export function validateTag(value: unknown, field = 'tag'): string {
  if (value === undefined || value === null || value === '') return 'latest';
  const tag = requireString(field, value);
  if (!tagRegExp.test(tag))
    fail(field, 'must be letters, digits, _ . - (not starting with . or -), at most 128 characters');
  return tag;
}

/** A registry host name with an optional port, e.g. `ghcr.io`, `127.0.0.1:5000`. */
export function validateRegistryHost(value: unknown, field = 'registry'): string {
  const host = requireString(field, value).toLowerCase();
  if (host.length === 0 || host.length > 253 || !registryHostRegExp.test(host)) {
    fail(field, 'must be a host name with an optional port, e.g. ghcr.io or registry.example.com:5000');
  }
  return host;
}

function validateInteger(field: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) fail(field, 'must be an integer');
  if (number < min || number > max) fail(field, `must be between ${min} and ${max}`);
  return number;
}

export function validatePort(value: unknown, field = 'container_port'): number {
  return validateInteger(field, value, 1, 65535);
}

/** Kubernetes only accepts NodePorts in the cluster's node-port range (30000–32767 by default). */
export function validateNodePort(value: unknown, field = 'node_port'): number {
  return validateInteger(field, value, 30000, 32767);
}

export function validateReplicas(value: unknown, options: { max?: number; field?: string } = {}): number {
  if (value === undefined || value === null || value === '') return 1;
  return validateInteger(options.field ?? 'replicas', value, 1, options.max ?? 20);
}

export const serviceTypes = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;
export type ServiceType = (typeof serviceTypes)[number];

export function validateServiceType(value: unknown, field = 'service_type'): ServiceType {
  if (value === undefined || value === null || value === '') return 'ClusterIP';
  const found = serviceTypes.find((t) => t === value);
  if (!found) fail(field, `must be one of ${serviceTypes.join(', ')}`);
  return found;
}

export const workloadKinds = ['Deployment', 'ReplicaSet'] as const;
export type WorkloadKind = (typeof workloadKinds)[number];

export function validateWorkloadKind(value: unknown, field = 'k8s_kind'): WorkloadKind {
  if (value === undefined || value === null || value === '') return 'Deployment';
  const found = workloadKinds.find((k) => k === value);
  if (!found) fail(field, `must be one of ${workloadKinds.join(', ')}`);
  return found;
}

export const codeLimits = Object.freeze({ appCodeBytes: 256 * 1024, requirementsBytes: 16 * 1024 });

/** Pasted `app.py`: text, not empty, no NUL bytes, within the size cap. */
export function validateAppCode(value: unknown, field = 'code'): string {
  const code = requireString(field, value);
  if (code.trim().length === 0) fail(field, 'is required');
  if (Buffer.byteLength(code, 'utf8') > codeLimits.appCodeBytes) {
    fail(field, `must be at most ${codeLimits.appCodeBytes / 1024} KiB`);
  }
  if (code.includes('\u0000')) fail(field, 'must not contain NUL bytes');
  return code;
}

const requirementLine =
  /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._, -]+\])?\s*([<>=!~]=?[^;\s]+\s*(,\s*[<>=!~]=?[^;,\s]+\s*)*)?(;[A-Za-z0-9_.\s'"<>=!~(),-]*)?(\s+#.*)?$/;

/**
 * What pip reads in a requirement line besides the requirement: any whitespace-separated token starting
 * with "-" is an option (`--config-settings`, `--hash`, `--global-option` … also after a `;` marker),
 * `${VAR}` is expanded from the build's environment, a trailing backslash joins the next line, `@` makes a
 * direct URL reference.
 */
function readRequirementProblem(line: string): string | undefined {
  if (line.split(/\s+/).some((token) => token.startsWith('-'))) return 'pip options are not allowed';
  if (line.includes('$')) return 'environment variables are not allowed';
  if (line.includes('\\')) return 'line continuations are not allowed';
  if (line.includes('@') || line.includes('://')) return 'URLs and direct references are not allowed';
  return undefined;
}

/**
 * Optional `requirements.txt`: only requirement specifiers, comments and blank lines. pip options
 * (`-r`, `-e`, `--index-url`, …) and URLs are refused so a build installs from the configured index only.
 */
export function validateRequirements(value: unknown, field = 'requirements'): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = requireString(field, value);
  if (Buffer.byteLength(text, 'utf8') > codeLimits.requirementsBytes) {
    fail(field, `must be at most ${codeLimits.requirementsBytes / 1024} KiB`);
  }
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // Everything after a "#" that follows whitespace is a comment to pip; the rest is checked.
    const content = line.replace(/\s+#.*$/, '');
    const problem = readRequirementProblem(content);
    if (problem) fail(field, `line ${index + 1}: ${problem} (name[extras][version][; marker] only)`);
    if (controlCharacters.test(raw.replace(/\r$/, '').replace(/\t/g, ' ')) || !requirementLine.test(line)) {
      fail(
        field,
        `line ${index + 1} is not a requirement specifier (name[extras][version]; options and URLs are not allowed)`,
      );
    }
  });
  return text.trim().length === 0 ? undefined : text;
}

/**
 * A Git repository URL: `https://host/path` (no user name or password in it: they would end up in logs)
 * or, when `allowLocalPaths` is set, an absolute local path. Everything git would read as an option,
 * a transport helper (`ext::`, `fd::`), scp-like `host:path`, ssh or plain `file://` is refused.
 */
export function validateGitUrl(
  value: unknown,
  options: { allowLocalPaths: boolean; field?: string },
): { kind: 'https'; url: string } | { kind: 'local'; path: string } {
  const field = options.field ?? 'repo_url';
  const text = requireString(field, value).trim();
  if (text.length === 0) fail(field, 'is required');
  if (text.length > 2048) fail(field, 'must be at most 2048 characters');
  if (controlCharacters.test(text) || /\s/.test(text))
    fail(field, 'must not contain spaces or control characters');
  if (text.startsWith('-')) fail(field, 'must not start with "-"');
  if (text.startsWith('/')) {
    if (!options.allowLocalPaths) fail(field, 'local paths are not allowed here; use an https:// URL');
    const segments = text.split('/');
    if (segments.some((s) => s === '..' || s === '.'))
      fail(field, 'must not contain "." or ".." path segments');
    if (/[:\\]/.test(text)) fail(field, 'local paths must not contain ":" or "\\"');
    return { kind: 'local', path: text.replace(/\/+$/, '') || '/' };
  }
  // Checked on the raw text: URL parsing resolves `..` and `%2e%2e` away before it could be seen.
  const rawPath = text.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  if (/%2e|%2f|%5c/i.test(rawPath) || rawPath.split(/[/\\]/).some((s) => s === '..' || s === '.')) {
    fail(field, 'must not contain path traversal');
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(field, 'must be an https:// URL' + (options.allowLocalPaths ? ' or an absolute local path' : ''));
  }
  if (url.protocol !== 'https:')
    fail(field, `scheme ${url.protocol.replace(/:$/, '')} is not allowed; use https`);
  if (url.username || url.password) fail(field, 'must not contain a user name or password');
  if (!url.hostname || url.hostname.startsWith('-')) fail(field, 'must name a host');
  if (url.search || url.hash) fail(field, 'must not contain a query or fragment');
  return { kind: 'https', url: url.toString() };
}

/** A branch or tag name following `git check-ref-format` rules, and never starting with "-". */
export function validateGitRef(value: unknown, field = 'ref'): string {
  if (value === undefined || value === null || value === '') return 'main';
  const ref = requireString(field, value);
  const bad =
    ref.length > 255 ||
    ref.startsWith('-') ||
    ref.startsWith('/') ||
    ref.endsWith('/') ||
    ref.endsWith('.') ||
    ref === '@' ||
    ref.includes('..') ||
    ref.includes('//') ||
    ref.includes('@{') ||
    // eslint-disable-next-line no-control-regex -- git refuses control characters in ref names
    /[\u0000-\u0020\u007f~^:?*[\\]/.test(ref) ||
    ref.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock')) ||
    // Legal for git, but never in a real branch name and meaningful to shells and YAML: refused outright.
    /[;$`'"|&<>(){}!#]/.test(ref);
  if (bad) fail(field, 'is not a valid branch or tag name (git check-ref-format)');
  return ref;
}

/** Container port, replicas and the rest as one checked object; used by preview and deploy. */
export interface DeploySettings {
  appName: string;
  namespace: string;
  kind: WorkloadKind;
  replicas: number;
  serviceType: ServiceType;
  containerPort: number;
}

export function validateDeploySettings(
  body: Record<string, unknown>,
  options: { maxReplicas?: number; defaultPort?: number } = {},
): DeploySettings {
  return {
    appName: validateAppName(body.app_name),
    namespace: validateNamespace(body.namespace),
    kind: validateWorkloadKind(body.k8s_kind),
    replicas: validateReplicas(body.replicas, { max: options.maxReplicas ?? 20 }),
    serviceType: validateServiceType(body.service_type),
    containerPort:
      body.container_port === undefined || body.container_port === null || body.container_port === ''
        ? (options.defaultPort ?? 5000)
        : validatePort(body.container_port),
  };
}
