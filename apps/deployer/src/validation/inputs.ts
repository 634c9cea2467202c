import { InputError } from '@ashapp/platform';
import {
  AppNameField,
  checkField,
  domainPattern,
  maxAppNameLength,
  NamespaceField,
  NodePortField,
  PortField,
  RegistryHostField,
  ReplicasField,
  RepositoryNameField,
  repositoryPattern,
  ServiceTypeField,
  serviceTypes,
  TagField,
  tagPattern,
  WorkloadKindField,
  workloadKinds,
  type ServiceType,
  type WorkloadKind,
} from './field-rules.ts';

export { maxAppNameLength, serviceTypes, workloadKinds, type ServiceType, type WorkloadKind };

/**
 * Validators for everything a caller hands the deployer. Each returns the accepted value (trimmed or
 * defaulted) or throws an `InputError` whose details name the field, so the route answers 400 with what
 * was wrong. Values that pass contain no characters with meaning to YAML, a shell or git option parsing.
 * Rules a schema can state (patterns, lengths, ranges, enums) live in field-rules.ts as TypeBox schemas;
 * what is here is what a schema cannot say.
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

/** An app name is a DNS-1035 label (a Service name must start with a letter), at most 50 characters. */
export function validateAppName(value: unknown, field = 'app_name'): string {
  const name = checkField(AppNameField, value, field);
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
  return checkField(NamespaceField, value, field);
}

// The grammar of github.com/distribution/reference, written out as regular expressions.
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const repositoryRegExp = new RegExp(`^${repositoryPattern}$`);
const referenceRegExp = new RegExp(
  `^(?:(${domainPattern})/)?(${repositoryPattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
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
  return checkField(RepositoryNameField, value, field);
}

export function validateTag(value: unknown, field = 'tag'): string {
  if (value === undefined || value === null || value === '') return 'latest';
  return checkField(TagField, value, field);
}

/** A registry host name with an optional port, e.g. `ghcr.io`, `127.0.0.1:5000`. */
export function validateRegistryHost(value: unknown, field = 'registry'): string {
  return checkField(RegistryHostField, requireString(field, value).toLowerCase(), field);
}

/** Form fields arrive as text: a string of digits counts as the integer it spells. */
function readIntegerLike(value: unknown): unknown {
  return typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
}

export function validatePort(value: unknown, field = 'container_port'): number {
  return checkField(PortField, readIntegerLike(value), field);
}

/** Kubernetes only accepts NodePorts in the cluster's node-port range (30000–32767 by default). */
export function validateNodePort(value: unknown, field = 'node_port'): number {
  return checkField(NodePortField, readIntegerLike(value), field);
}

export function validateReplicas(value: unknown, options: { max?: number; field?: string } = {}): number {
  if (value === undefined || value === null || value === '') return 1;
  return checkField(ReplicasField(options.max ?? 20), readIntegerLike(value), options.field ?? 'replicas');
}

export function validateServiceType(value: unknown, field = 'service_type'): ServiceType {
  if (value === undefined || value === null || value === '') return 'ClusterIP';
  return checkField(ServiceTypeField, value, field);
}

export function validateWorkloadKind(value: unknown, field = 'k8s_kind'): WorkloadKind {
  if (value === undefined || value === null || value === '') return 'Deployment';
  return checkField(WorkloadKindField, value, field);
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
