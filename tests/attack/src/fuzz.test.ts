import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { identityHeader, signIdentity } from '@ashapp/platform';
import {
  platformServices,
  startWholePlatform,
  standInUser,
  type WholePlatform,
  type PlatformService,
} from '@ashapp/test-platform';
import { buildHostileRequest, createRandom, type Random } from './hostile-requests.ts';
import { listOperations, type Operation } from './openapi-operations.ts';

/** Request body sizes each service must refuse with 413 (set through their variables where they have one). */
const bodyLimits: Record<PlatformService, number> = {
  monitor: 64 * 1024,
  history: 2 * 32 * 1024 + 64 * 1024,
  assistant: 256 * 1024,
  deployer: (256 * 1024 + 16 * 1024) * 2 + 64 * 1024,
  gateway: 1024 * 1024,
};

const seed = Number(process.env.ATTACK_SEED ?? Date.now() % 1_000_000);
const requestCount = Number(process.env.ATTACK_REQUESTS ?? 12_000);
const concurrency = 8;
const runDeadlineMs = 300_000;
const requestTimeoutMs = 30_000;

type Auth = 'identity' | 'none' | 'forged' | 'bearer' | 'anonymous';

interface Target {
  readonly label: string;
  readonly baseUrl: string;
  readonly prefix: string;
  readonly operation: Operation;
  readonly via: 'direct' | 'gateway';
  readonly service: PlatformService;
  /** Requests above this many bytes must get 413. */
  readonly bodyLimit: number;
}

interface Finding {
  readonly target: string;
  readonly kind: string;
  readonly auth: Auth;
  readonly status: number | string;
  readonly detail: string;
}

// Sign-out and token revocation would end the run's session; the docs UI serves static files. All three
// have their own tests.
function skipGatewayOwn(method: string, path: string): boolean {
  return (
    path === '/api/logout' ||
    path === '/api/tokens/current' ||
    path.startsWith('/api/docs') ||
    path.startsWith('/services/') ||
    path.includes('*') ||
    path.endsWith('/openapi.json')
  );
}

async function fetchJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url} answered ${res.status}`);
  return res.json();
}

/**
 * A 5xx is acceptable only as one of the platform's deliberate answers about a dependency: 503 UNAVAILABLE
 * (a service or tool is down) or 502 UPSTREAM_ERROR (an upstream the user named, such as a registry host or
 * AWS, could not be reached or answered badly). Anything else is a crash in disguise.
 */
function isDeliberateUnavailable(status: number, body: string): boolean {
  if (status !== 503 && status !== 502) return false;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string } };
    return (status === 503 ? 'UNAVAILABLE' : 'UPSTREAM_ERROR') === parsed.error?.code;
  } catch {
    return false;
  }
}

function hasPlatformErrorShape(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    return typeof parsed.error?.code === 'string' && typeof parsed.error.message === 'string';
  } catch {
    return false;
  }
}

describe('attack: schema-driven fuzzing of every service, directly and through the gateway', () => {
  let platform: WholePlatform;
  let token: string;
  let targets: Target[] = [];

  before(async () => {
    platform = await startWholePlatform({
      env: {
        // The fuzzer must reach the handlers, not the limiter (which has its own tests).
        RATE_LIMIT_USER_MAX: '1000000',
        RATE_LIMIT_IP_MAX: '1000000',
        LOGIN_RATE_LIMIT_MAX: '1000000',
        HISTORY_MAX_OUTPUT_BYTES: String(32 * 1024),
        MONITOR_BODY_LIMIT_BYTES: String(bodyLimits.monitor),
        GATEWAY_FORWARD_BODY_LIMIT_BYTES: String(bodyLimits.gateway),
        // The gateway refuses bodies by the services' own limits; it is told the ones changed above.
        GATEWAY_BODY_LIMIT_HISTORY_BYTES: String(bodyLimits.history),
        GATEWAY_BODY_LIMIT_MONITOR_BYTES: String(bodyLimits.monitor),
        DEPLOYER_BUILD_TIMEOUT_MS: '20000',
      },
    });
    token = await platform.signIn();
    for (const service of platformServices) {
      if (service === 'gateway') continue;
      const doc = await fetchJson(`${platform.urls[service]}/openapi.json`);
      for (const operation of listOperations(service, doc)) {
        targets.push({
          label: `${service} ${operation.method} ${operation.path}`,
          baseUrl: platform.urls[service],
          prefix: '',
          operation,
          via: 'direct',
          service,
          bodyLimit: bodyLimits[service],
        });
        targets.push({
          label: `gateway→${service} ${operation.method} ${operation.path}`,
          baseUrl: platform.urls.gateway,
          prefix: `/services/${service}`,
          operation,
          via: 'gateway',
          service,
          bodyLimit: Math.min(bodyLimits[service], bodyLimits.gateway),
        });
      }
    }
    const gatewayDoc = await fetchJson(`${platform.urls.gateway}/api/docs/json`);
    for (const operation of listOperations('gateway', gatewayDoc, skipGatewayOwn)) {
      targets.push({
        label: `gateway ${operation.method} ${operation.path}`,
        baseUrl: platform.urls.gateway,
        prefix: '',
        operation,
        via: 'gateway',
        service: 'gateway',
        bodyLimit: bodyLimits.gateway,
      });
    }
    targets = targets.sort((a, b) => a.label.localeCompare(b.label));
  });

  after(async () => {
    await platform?.stop();
  });

  function pickAuth(target: Target, random: Random): Auth {
    // Signing in again with the run's token would end its session (no fixation), so sign-in goes anonymous.
    if (target.operation.path === '/api/login') return 'anonymous';
    if (target.via === 'gateway') return random.chance(0.9) ? 'bearer' : 'anonymous';
    const roll = random.next();
    return roll < 0.85 ? 'identity' : roll < 0.93 ? 'none' : 'forged';
  }

  function authHeaders(auth: Auth): Record<string, string> {
    const identity = {
      userId: standInUser.arn,
      roles: ['user' as const],
      requestId: randomUUID(),
      name: 'attacker',
    };
    switch (auth) {
      case 'identity':
        return { [identityHeader]: signIdentity(identity, platform.secret) };
      case 'forged':
        return {
          [identityHeader]: signIdentity(
            { ...identity, roles: ['admin'] },
            'not-the-internal-secret-0000000000000',
          ),
        };
      case 'bearer':
        return { authorization: `Bearer ${token}` };
      default:
        return {};
    }
  }

  async function send(target: Target, random: Random): Promise<Finding | undefined> {
    const request = buildHostileRequest(target.operation, random, target.bodyLimit);
    const auth = pickAuth(target, random);
    const url = `${target.baseUrl}${target.prefix}${request.path}`;
    const label = `${target.label} [${request.kind}]`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: request.method,
        headers: { ...request.headers, ...authHeaders(auth) },
        ...(request.body ? { body: new Uint8Array(request.body) } : {}),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (err) {
      // A server may close the connection on a body it refuses before reading it; the client then sees
      // a reset instead of the 413. Anything else (a timeout: a hang) is a finding.
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      if (
        request.kind === 'over-limit' &&
        (cause === 'ECONNRESET' || cause === 'UND_ERR_SOCKET' || cause === 'EPIPE')
      ) {
        return {
          target: label,
          kind: request.kind,
          auth,
          status: cause,
          detail: 'connection reset instead of 413',
        };
      }
      return { target: label, kind: request.kind, auth, status: cause, detail: (err as Error).message };
    }
    if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await res.body?.cancel();
      return undefined;
    }
    const body = await res.text();
    if (res.status >= 500 && !isDeliberateUnavailable(res.status, body)) {
      return { target: label, kind: request.kind, auth, status: res.status, detail: body.slice(0, 300) };
    }
    if (res.status >= 400 && !hasPlatformErrorShape(body)) {
      return {
        target: label,
        kind: request.kind,
        auth,
        status: res.status,
        detail: `not the platform's error shape: ${body.slice(0, 200)}`,
      };
    }
    if (request.kind === 'over-limit' && res.status !== 413 && res.status !== 401 && res.status !== 403) {
      return {
        target: label,
        kind: request.kind,
        auth,
        status: res.status,
        detail: `a body over the limit was not refused with 413: ${body.slice(0, 160)}`,
      };
    }
    if ((auth === 'none' || auth === 'forged' || auth === 'anonymous') && res.status < 300) {
      const publicPath = /\/(health|ready|metrics|openapi\.json)$/.test(target.operation.path);
      if (
        !publicPath &&
        !target.operation.path.startsWith('/api/auth') &&
        target.operation.path !== '/api/login' &&
        target.operation.path !== '/api/user'
      ) {
        return {
          target: label,
          kind: request.kind,
          auth,
          status: res.status,
          detail: 'answered without a valid identity',
        };
      }
    }
    return undefined;
  }

  test('≥ 10,000 hostile requests: no 5xx but deliberate 503s, no hang, 413 for every body over the limit, 401 without identity, the platform error shape everywhere, no crash, memory back near its start', async () => {
    console.log(`attack seed ${seed} (replay with ATTACK_SEED=${seed}); ${targets.length} targets`);
    assert.ok(
      targets.length >= 40,
      `expected the documents to describe many operations, got ${targets.length}`,
    );
    const random = createRandom(seed);
    const findings: Finding[] = [];
    const statuses = new Map<string, number>();
    let sent = 0;
    let warmRss: Record<PlatformService, number> | undefined;
    const warmUpCount = Math.min(1_500, Math.floor(requestCount / 8));
    const deadline = Date.now() + runDeadlineMs;

    const worker = async () => {
      while (sent < requestCount && Date.now() < deadline) {
        const index = sent++;
        if (index === warmUpCount) warmRss = platform.readRss();
        const target = targets[index % targets.length] as Target;
        const finding = await send(target, random);
        const key = finding ? `finding ${finding.status}` : 'ok';
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (finding && findings.length < 500) findings.push(finding);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `sent ${sent} requests in ${seconds.toFixed(1)} s: ${JSON.stringify(Object.fromEntries(statuses))}`,
    );

    // Every process is still up and healthy.
    for (const service of platformServices) {
      assert.equal(
        platform.processes[service].child.exitCode,
        null,
        `${service} exited:\n${platform.processes[service].output().slice(-2000)}`,
      );
      const health = await fetch(`${platform.urls[service]}/health`);
      assert.equal(health.status, 200, `${service} /health`);
    }
    assert.ok(sent >= Math.min(10_000, requestCount), `only ${sent} requests were sent before the deadline`);
    const grouped = new Map<string, Finding[]>();
    for (const f of findings) {
      const key = `${f.target} ${f.status} (${f.auth})`;
      grouped.set(key, [...(grouped.get(key) ?? []), f]);
    }
    const report = [...grouped.entries()]
      .slice(0, 40)
      .map(([key, list]) => `${key} ×${list.length}: ${list[0]?.detail ?? ''}`)
      .join('\n');
    assert.equal(findings.length, 0, `findings (seed ${seed}):\n${report}`);

    // The run's session survived everything it sent, and nothing made its user an admin.
    const still = await fetch(`${platform.urls.gateway}/api/user`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(still.status, 200, 'the session of the run ended during the run');
    const user = (await still.json()) as { roles: string[] };
    assert.deepEqual(user.roles, ['user']);

    // Memory back near its level after the warm-up: let in-flight work and timers settle first.
    await delay(3_000);
    const endRss = platform.readRss();
    for (const service of platformServices) {
      const start = warmRss?.[service] ?? Number.NaN;
      const end = endRss[service];
      console.log(
        `${service}: RSS after warm-up ${(start / 2 ** 20).toFixed(0)} MB, at the end ${(end / 2 ** 20).toFixed(0)} MB`,
      );
      assert.ok(end <= start * 1.5 + 48 * 2 ** 20, `${service} grew from ${start} to ${end} bytes`);
    }
  });
});
