import type { BuildView, CreateProjectBody, ServiceRolesReply } from '@ashapp/contracts/codebuild';
import type { HttpClient } from './http.ts';

// The shapes are the assistant's CodeBuild contract; the list and start answers are read leniently
// (normaliseBuildList) because the original answered them in several shapes.

/** What the form sends; `service_role` is the operator's default when absent. */
export type CreateProjectInput = Pick<
  CreateProjectBody,
  'project_name' | 'source_location' | 'build_spec' | 'service_role'
>;

export type ServiceRoleChoices = ServiceRolesReply;

export interface BuildSummary {
  id: string;
  status?: string;
  start_time?: string;
}

export type BuildPhase = BuildView['phases'][number];

export type BuildDetail = Pick<BuildView, 'id' | 'status' | 'phases' | 'logs_url'>;

export interface CodeBuildClient {
  createProject(input: CreateProjectInput): Promise<unknown>;
  startBuild(projectName: string): Promise<BuildSummary>;
  listBuilds(projectName: string): Promise<BuildSummary[]>;
  getBuild(id: string): Promise<BuildDetail>;
  getLogs(id: string): Promise<string[]>;
  listServiceRoles(): Promise<ServiceRoleChoices>;
}

/** Accepts `{items:[…]}`, `{builds:[…]}`, `{ids:[…]}` or a bare array. */
export function normaliseBuildList(data: unknown): BuildSummary[] {
  const list: unknown = Array.isArray(data)
    ? data
    : typeof data === 'object' && data !== null
      ? ((data as Record<string, unknown>).items ??
        (data as Record<string, unknown>).builds ??
        (data as Record<string, unknown>).ids)
      : undefined;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item): BuildSummary[] => {
    if (typeof item === 'string') return [{ id: item }];
    if (typeof item === 'object' && item !== null && typeof (item as BuildSummary).id === 'string')
      return [item as BuildSummary];
    return [];
  });
}

function normaliseBuild(data: unknown): BuildSummary {
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const inner = (typeof record.build === 'object' && record.build !== null ? record.build : record) as Record<
    string,
    unknown
  >;
  return { id: String(inner.id ?? ''), status: typeof inner.status === 'string' ? inner.status : undefined };
}

export function createCodeBuildClient(http: HttpClient): CodeBuildClient {
  const project = (name: string) => `/api/codebuild/projects/${encodeURIComponent(name)}`;
  const build = (id: string) => `/api/codebuild/builds/${encodeURIComponent(id)}`;
  return {
    createProject: (input) => http.json('/api/codebuild/projects', { method: 'POST', body: input }),
    listServiceRoles: () => http.json<ServiceRoleChoices>('/api/codebuild/service-roles'),
    startBuild: async (name) =>
      normaliseBuild(await http.json(`${project(name)}/builds`, { method: 'POST', body: {} })),
    listBuilds: async (name) => normaliseBuildList(await http.json(`${project(name)}/builds`)),
    async getBuild(id) {
      const data = await http.json<Partial<BuildDetail>>(build(id));
      return {
        id: data.id ?? id,
        status: data.status ?? 'UNKNOWN',
        phases: Array.isArray(data.phases) ? data.phases : [],
        logs_url: data.logs_url,
      };
    },
    async getLogs(id) {
      const data = await http.json<{ lines?: unknown }>(`${build(id)}/logs`);
      return Array.isArray(data.lines) ? data.lines.map(String) : [];
    },
  };
}
