import type { KubeObject } from './render-kustomize.ts';

/**
 * ASHapp's rules for its own manifests (issue 9), on top of schema validity: what every workload must
 * carry, which policies must exist, how far RBAC may reach. Returns readable problems; empty when all hold.
 */

export const platformServices = ['gateway', 'assistant', 'deployer', 'history', 'monitor'] as const;

export interface RuleOptions {
  /** `local`: one replica, no HPA, SQLite on a volume. `production`: two or more replicas, HPAs, external URLs. */
  profile: 'local' | 'production';
  /** `generated`: the manifests were rendered on a host that filled the Secrets (the bootstrap). Default: committed placeholders only. */
  secrets?: 'placeholders' | 'generated';
}

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(rec) : []);

const workloadKinds = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

function podSpecOf(o: KubeObject): Obj {
  const spec = rec(o.spec);
  return o.kind === 'CronJob'
    ? rec(rec(rec(rec(spec.jobTemplate).spec).template).spec)
    : rec(rec(spec.template).spec);
}

function checkImage(image: unknown): string | undefined {
  if (typeof image !== 'string' || image === '') return 'has no image';
  if (image.includes('@sha256:')) return undefined;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':')) return `image ${image} has no tag (means :latest)`;
  if (lastSegment.endsWith(':latest')) return `image ${image} uses :latest`;
  return undefined;
}

function checkWorkload(o: KubeObject, problems: string[]): void {
  const id = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const pod = podSpecOf(o);
  const podSc = rec(pod.securityContext);
  if (podSc.runAsNonRoot !== true) problems.push(`${id}: pod securityContext.runAsNonRoot is not true`);
  if (rec(podSc.seccompProfile).type !== 'RuntimeDefault')
    problems.push(`${id}: pod seccompProfile is not RuntimeDefault`);
  if (pod.hostNetwork === true || pod.hostPID === true || pod.hostIPC === true)
    problems.push(`${id}: uses a host namespace`);
  const isService = (platformServices as readonly string[]).includes(o.metadata.name);
  for (const c of [...list(pod.initContainers), ...list(pod.containers)]) {
    const cid = `${id} container ${String(c.name)}`;
    const sc = rec(c.securityContext);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${cid}: allowPrivilegeEscalation is not false`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${cid}: readOnlyRootFilesystem is not true`);
    if (sc.privileged === true) problems.push(`${cid}: is privileged`);
    const drop = rec(sc.capabilities).drop;
    if (!Array.isArray(drop) || !drop.includes('ALL')) problems.push(`${cid}: capabilities do not drop ALL`);
    if (Array.isArray(rec(sc.capabilities).add) && (rec(sc.capabilities).add as unknown[]).length > 0)
      problems.push(`${cid}: adds capabilities`);
    const imageProblem = checkImage(c.image);
    if (imageProblem) problems.push(`${cid}: ${imageProblem}`);
    const resources = rec(c.resources);
    for (const group of ['requests', 'limits'] as const) {
      for (const r of ['cpu', 'memory']) {
        if (rec(resources[group])[r] === undefined) problems.push(`${cid}: no ${group}.${r}`);
      }
    }
    if (list(pod.containers).includes(c)) {
      if (!c.readinessProbe) problems.push(`${cid}: no readinessProbe`);
      if (!c.livenessProbe) problems.push(`${cid}: no livenessProbe`);
    }
    if (isService && c.name === o.metadata.name) {
      if (rec(rec(c.readinessProbe).httpGet).path !== '/ready')
        problems.push(`${cid}: readinessProbe is not GET /ready`);
      if (rec(rec(c.livenessProbe).httpGet).path !== '/health')
        problems.push(`${cid}: livenessProbe is not GET /health`);
    }
  }
  if (isService) {
    if (list(pod.topologySpreadConstraints).length === 0)
      problems.push(`${id}: no topologySpreadConstraints`);
    if (pod.serviceAccountName !== o.metadata.name)
      problems.push(`${id}: does not run as its own ServiceAccount`);
    const wantsToken = o.metadata.name === 'deployer';
    if ((pod.automountServiceAccountToken === true) !== wantsToken) {
      problems.push(
        `${id}: automountServiceAccountToken must be ${wantsToken} (only the deployer talks to the Kubernetes API)`,
      );
    }
  }
}

function selects(selector: Obj, labels: Record<string, string>): boolean {
  const match = rec(selector.matchLabels) as Record<string, string>;
  const expressions = list(selector.matchExpressions);
  return (
    Object.entries(match).every(([k, v]) => labels[k] === v) &&
    expressions.every(
      (e) => e.operator === 'In' && Array.isArray(e.values) && e.values.includes(labels[String(e.key)]),
    )
  );
}

/**
 * The namespace the deployer's build Jobs run in (ADR 0027): the one the ConfigMap names. It alone may be
 * below Pod Security "restricted" (exactly "baseline"), and only its Role may touch Secrets (create and
 * delete the Jobs' own, never read one).
 */
function buildsNamespaceOf(objects: readonly KubeObject[]): string | undefined {
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('ashapp-config'));
  const value = rec(config?.data).DEPLOYER_BUILD_JOB_NAMESPACE;
  return typeof value === 'string' ? value : undefined;
}

/** Private, loopback, link-local (metadata), CGNAT and "this network" ranges a build must not reach. */
export const privateRanges = {
  v4: [
    '0.0.0.0/8',
    '10.0.0.0/8',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '172.16.0.0/12',
    '192.168.0.0/16',
  ],
  v6: ['::1/128', 'fc00::/7', 'fe80::/10'],
};

function checkBuildsNamespace(objects: readonly KubeObject[], problems: string[]): void {
  const ns = buildsNamespaceOf(objects);
  if (!ns) {
    problems.push('ConfigMap ashapp-config: no DEPLOYER_BUILD_JOB_NAMESPACE (where build Jobs run)');
    return;
  }
  for (const o of objects.filter((x) => x.kind === 'Namespace')) {
    const labels = o.metadata.labels ?? {};
    const level = labels['pod-security.kubernetes.io/enforce'];
    const want = o.metadata.name === ns ? 'baseline' : 'restricted';
    if (level !== want)
      problems.push(`Namespace/${o.metadata.name}: Pod Security enforce is ${String(level)}, not ${want}`);
  }
  if (!objects.some((o) => o.kind === 'Namespace' && o.metadata.name === ns))
    problems.push(`namespace ${ns} (build Jobs) is missing`);
  for (const kind of ['ResourceQuota', 'LimitRange']) {
    if (!objects.some((o) => o.kind === kind && o.metadata.namespace === ns))
      problems.push(`namespace ${ns}: no ${kind} for builds`);
  }
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === ns);
  for (const p of policies) {
    const spec = rec(p.spec);
    if (spec.ingress !== undefined)
      problems.push(`NetworkPolicy/${ns}/${p.metadata.name}: lets something into build pods`);
    for (const rule of list(spec.egress)) {
      for (const peer of list(rule.to)) {
        const block = rec(peer.ipBlock);
        if (typeof block.cidr === 'string') {
          const wanted = block.cidr.includes(':') ? privateRanges.v6 : privateRanges.v4;
          const except = Array.isArray(block.except) ? block.except : [];
          const missing =
            block.cidr === '0.0.0.0/0' || block.cidr === '::/0'
              ? wanted.filter((r) => !except.includes(r))
              : [];
          if (missing.length > 0)
            problems.push(
              `NetworkPolicy/${ns}/${p.metadata.name}: ${block.cidr} does not except ${missing.join(', ')}`,
            );
        } else {
          const dns =
            rec(rec(peer.namespaceSelector).matchLabels)['kubernetes.io/metadata.name'] === 'kube-system' &&
            rec(rec(peer.podSelector).matchLabels)['k8s-app'] === 'kube-dns';
          if (!dns)
            problems.push(
              `NetworkPolicy/${ns}/${p.metadata.name}: build pods may reach pods (only DNS allowed)`,
            );
        }
      }
    }
  }
  if (!policies.some((p) => list(rec(p.spec).egress).length > 0))
    problems.push(`namespace ${ns}: no egress NetworkPolicy for builds`);
}

function checkRbac(objects: readonly KubeObject[], problems: string[]): void {
  const buildsNamespace = buildsNamespaceOf(objects);
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    // Cluster-scoped RBAC only to read named namespaces (the deployer checks its target exists).
    if (o.kind === 'ClusterRole') {
      const narrow = list(o.rules).every(
        (rule) =>
          JSON.stringify(rule.apiGroups) === '[""]' &&
          JSON.stringify(rule.resources) === '["namespaces"]' &&
          JSON.stringify(rule.verbs) === '["get"]' &&
          Array.isArray(rule.resourceNames) &&
          rule.resourceNames.length > 0,
      );
      if (!narrow) problems.push(`${id}: cluster-wide RBAC is not allowed (only get on named namespaces)`);
    }
    if (o.kind === 'ClusterRoleBinding') {
      const role = objects.find((r) => r.kind === 'ClusterRole' && r.metadata.name === rec(o.roleRef).name);
      if (!role)
        problems.push(`${id}: binds a ClusterRole that is not part of these manifests (cluster-wide RBAC)`);
    }
    if (o.kind === 'Role') {
      for (const rule of list(o.rules)) {
        for (const field of ['apiGroups', 'resources', 'verbs']) {
          if (Array.isArray(rule[field]) && (rule[field] as unknown[]).includes('*'))
            problems.push(`${id}: ${field} contains *`);
        }
        const resources = Array.isArray(rule.resources) ? (rule.resources as unknown[]) : [];
        if (resources.some((r) => r === 'roles' || r === 'rolebindings')) {
          problems.push(`${id}: grants ${String(rule.resources)} (RBAC escalation)`);
        }
        if (resources.includes('secrets')) {
          // Build Jobs get their context and auth file in a Secret the deployer creates and deletes; nothing
          // may read Secrets, and nowhere else may they be written.
          const verbs = Array.isArray(rule.verbs) ? (rule.verbs as unknown[]) : [];
          if (o.metadata.namespace !== buildsNamespace)
            problems.push(`${id}: grants secrets outside the builds namespace`);
          else if (verbs.some((v) => v !== 'create' && v !== 'delete'))
            problems.push(
              `${id}: grants ${verbs.join(', ')} on secrets (only create and delete: never read one back)`,
            );
        }
      }
    }
    if (o.kind === 'RoleBinding' && rec(o.roleRef).kind === 'ClusterRole')
      problems.push(`${id}: binds a ClusterRole`);
  }
}

export function checkPlatformRules(objects: readonly KubeObject[], options: RuleOptions): string[] {
  const problems: string[] = [];
  const find = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);

  for (const o of objects) if (workloadKinds.has(o.kind)) checkWorkload(o, problems);
  checkRbac(objects, problems);
  checkBuildsNamespace(objects, problems);

  // Default deny in every namespace that runs pods (the builds namespace runs the deployer's Jobs).
  const podNamespaces = new Set(
    objects.filter((o) => workloadKinds.has(o.kind)).map((o) => o.metadata.namespace ?? ''),
  );
  const buildsNamespace = buildsNamespaceOf(objects);
  if (buildsNamespace) podNamespaces.add(buildsNamespace);
  for (const ns of podNamespaces) {
    const denies = objects.some((o) => {
      const spec = rec(o.spec);
      const types = spec.policyTypes as unknown[] | undefined;
      return (
        o.kind === 'NetworkPolicy' &&
        o.metadata.namespace === ns &&
        Object.keys(rec(spec.podSelector)).length === 0 &&
        Array.isArray(types) &&
        types.includes('Ingress') &&
        types.includes('Egress') &&
        spec.ingress === undefined &&
        spec.egress === undefined
      );
    });
    if (!denies) problems.push(`namespace ${ns}: no default-deny NetworkPolicy (ingress and egress)`);
  }
  // Every pod is reached by some ingress rule or by none on purpose; the services must be reachable only by their callers.
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  for (const name of platformServices) {
    const deployment = find('Deployment', name);
    if (!deployment) {
      problems.push(`Deployment/${name} is missing`);
      continue;
    }
    const labels = rec(rec(rec(deployment.spec).template).metadata).labels as Record<string, string>;
    const ingressRules = policies
      .filter((p) => selects(rec(rec(p.spec).podSelector), labels))
      .flatMap((p) => list(rec(p.spec).ingress));
    if (ingressRules.length === 0) problems.push(`Deployment/${name}: no NetworkPolicy lets anything in`);
    if (ingressRules.some((r) => r.from === undefined))
      problems.push(`Deployment/${name}: a NetworkPolicy admits traffic from anywhere`);

    if (!objects.some((o) => o.kind === 'PodDisruptionBudget' && selects(rec(rec(o.spec).selector), labels)))
      problems.push(`Deployment/${name}: no PodDisruptionBudget`);
    const hpa = objects.find(
      (o) => o.kind === 'HorizontalPodAutoscaler' && rec(rec(o.spec).scaleTargetRef).name === name,
    );
    const replicas = rec(deployment.spec).replicas;
    if (options.profile === 'production') {
      if (typeof replicas !== 'number' || replicas < 2)
        problems.push(`Deployment/${name}: fewer than 2 replicas`);
      if (!hpa) problems.push(`Deployment/${name}: no HorizontalPodAutoscaler`);
      else {
        const metrics = list(rec(hpa.spec).metrics);
        if (!metrics.some((m) => rec(m.resource).name === 'cpu'))
          problems.push(`HorizontalPodAutoscaler/${name}: does not scale on CPU`);
        if (Number(rec(hpa.spec).minReplicas) < 2)
          problems.push(`HorizontalPodAutoscaler/${name}: minReplicas below 2`);
      }
    } else {
      if (replicas !== 1) problems.push(`Deployment/${name}: local runs one replica`);
      if (hpa) problems.push(`Deployment/${name}: local has no HPA (SQLite is single-writer)`);
    }
  }

  // The original's paths, all through the gateway.
  const ingress = objects.find((o) => o.kind === 'Ingress');
  if (!ingress) problems.push('no Ingress');
  else {
    const paths = list(rec(list(rec(ingress.spec).rules)[0]?.http).paths);
    for (const wanted of ['/', '/api', '/deployer', '/monitor']) {
      const p = paths.find((x) => x.path === wanted);
      if (!p) problems.push(`Ingress: no path ${wanted}`);
      else if (rec(rec(p.backend).service).name !== 'gateway')
        problems.push(`Ingress: ${wanted} does not go to the gateway`);
    }
    if (options.profile === 'production' && list(rec(ingress.spec).tls).length === 0)
      problems.push('Ingress: no TLS');
  }

  // Secrets hold placeholders only: nothing real is ever committed.
  for (const secret of objects.filter((o) => o.kind === 'Secret' && options.secrets !== 'generated')) {
    for (const [key, value] of Object.entries(rec(secret.data))) {
      const text = Buffer.from(String(value), 'base64').toString('utf8');
      if (!(text.includes('REPLACE') || text.startsWith('file:/data/') || text === '')) {
        problems.push(`Secret/${secret.metadata.name}: ${key} is not a placeholder`);
      }
    }
  }
  return problems;
}
