import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useApi } from '../../api-context.tsx';
import type { BuildDetail, BuildSummary } from '../../api/codebuild.ts';
import { ErrorNotice } from '../../components/error-notice.tsx';
import { Field, Input, TextArea } from '../../components/field.tsx';
import { toSafeHttpUrl } from '../../components/safe-url.ts';
import { ServiceRoleField, type ServiceRoleValue } from './service-role-field.tsx';

const POLL_MS = 3000;
const DEFAULT_BUILDSPEC = `version: 0.2
phases:
  build:
    commands:
      - echo "Hello from CodeBuild"
`;

function BuildView({ buildId }: { buildId: string }) {
  const api = useApi();
  const [build, setBuild] = useState<BuildDetail | undefined>(undefined);
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let timer: number | undefined;
    Promise.all([api.codebuild.getBuild(buildId), api.codebuild.getLogs(buildId).catch(() => undefined)])
      .then(([detail, logLines]) => {
        if (cancelled) return;
        setBuild(detail);
        if (logLines) setLines(logLines);
        setError(undefined);
        // Follow a running build; stop once CodeBuild reports a final status.
        if (detail.status === 'IN_PROGRESS')
          timer = window.setTimeout(() => setTick((value) => value + 1), POLL_MS);
      })
      .catch((cause: unknown) => {
        if (!cancelled) setError(cause);
      });
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [api, buildId, tick]);

  const logsUrl = toSafeHttpUrl(build?.logs_url);
  return (
    <div className="build-view" data-testid="codebuild-build">
      <h4>
        Build <code>{buildId}</code>{' '}
        {build ? <span className={`badge status-${build.status.toLowerCase()}`}>{build.status}</span> : null}
      </h4>
      <ErrorNotice error={error} />
      {build && build.phases.length > 0 ? (
        <div className="table-scroll">
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Phase</th>
                <th scope="col">Status</th>
                <th scope="col">Duration (s)</th>
              </tr>
            </thead>
            <tbody>
              {build.phases.map((phase, index) => (
                <tr key={`${phase.name}-${index}`}>
                  <td>{phase.name}</td>
                  <td>{phase.status ?? ''}</td>
                  <td>{phase.duration ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="button-row">
        <button type="button" className="button ghost small" onClick={() => setTick((value) => value + 1)}>
          Refresh
        </button>
        {logsUrl ? (
          <a className="button ghost small" href={logsUrl} target="_blank" rel="noopener noreferrer">
            Logs in AWS console
          </a>
        ) : null}
      </div>
      <pre className="code-block log-block" tabIndex={0} aria-label="Build logs">
        {lines.length > 0 ? lines.join('\n') : 'No log lines yet.'}
      </pre>
    </div>
  );
}

export function CodeBuildPanel() {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [projectName, setProjectName] = useState('');
  const [sourceLocation, setSourceLocation] = useState('');
  const [buildSpec, setBuildSpec] = useState(DEFAULT_BUILDSPEC);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [builds, setBuilds] = useState<BuildSummary[] | undefined>(undefined);
  const [selectedBuild, setSelectedBuild] = useState<string | undefined>(undefined);
  const [role, setRole] = useState<ServiceRoleValue>({ arn: undefined, ready: false });
  const onRoleChange = useCallback((value: ServiceRoleValue) => setRole(value), []);

  // Called as `void act(...)` from events, which cannot await: it catches every error and shows it.
  const act = async (work: () => Promise<string | undefined>) => {
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      setMessage(await work());
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(false);
    }
  };

  const create = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      await api.codebuild.createProject({
        project_name: projectName.trim(),
        source_location: sourceLocation.trim(),
        build_spec: buildSpec,
        ...(role.arn ? { service_role: role.arn } : {}),
      });
      return `Project ${projectName.trim()} created.`;
    });
  };

  const listBuilds = () =>
    act(async () => {
      setBuilds(await api.codebuild.listBuilds(projectName.trim()));
      return undefined;
    });

  const startBuild = () =>
    act(async () => {
      const build = await api.codebuild.startBuild(projectName.trim());
      if (build.id) setSelectedBuild(build.id);
      setBuilds(await api.codebuild.listBuilds(projectName.trim()).catch(() => builds ?? []));
      return `Build ${build.id} started.`;
    });

  const hasProject = projectName.trim().length > 0;
  return (
    <section className="card codebuild-panel" aria-labelledby="codebuild-title" data-testid="codebuild-panel">
      <h2 id="codebuild-title" className="collapsible-title">
        <button
          type="button"
          className="disclosure"
          aria-expanded={open}
          aria-controls="codebuild-body"
          onClick={() => setOpen((value) => !value)}
          data-testid="codebuild-toggle"
        >
          <span aria-hidden="true">{open ? '▾' : '▸'}</span> CodeBuild
        </button>
      </h2>
      <div id="codebuild-body" hidden={!open}>
        <form className="form-grid" onSubmit={create}>
          <Field id="cb-project" label="Project name">
            <Input value={projectName} onValue={setProjectName} verbatim testId="codebuild-project" />
          </Field>
          <Field id="cb-source" label="Source location">
            <Input
              value={sourceLocation}
              onValue={setSourceLocation}
              placeholder="https://github.com/owner/repo.git"
              verbatim
              testId="codebuild-source"
            />
          </Field>
          <Field id="cb-buildspec" label="Buildspec" className="span-all">
            <TextArea
              className="mono"
              rows={6}
              value={buildSpec}
              onValue={setBuildSpec}
              spellCheck={false}
              testId="codebuild-buildspec"
            />
          </Field>
          <ServiceRoleField active={open} onChange={onRoleChange} />
          <div className="button-row span-all">
            <button
              type="submit"
              className="button primary"
              disabled={busy || !hasProject || !sourceLocation.trim() || !role.ready}
              data-testid="codebuild-create"
            >
              Create project
            </button>
            <button
              type="button"
              className="button"
              onClick={() => void startBuild()}
              disabled={busy || !hasProject}
              data-testid="codebuild-start"
            >
              Start build
            </button>
            <button
              type="button"
              className="button ghost"
              onClick={() => void listBuilds()}
              disabled={busy || !hasProject}
              data-testid="codebuild-list"
            >
              List builds
            </button>
          </div>
        </form>
        <div aria-live="polite">{message ? <p className="notice notice-info">{message}</p> : null}</div>
        <ErrorNotice error={error} testId="codebuild-error" />
        {builds ? (
          builds.length === 0 ? (
            <p className="muted">No builds for this project.</p>
          ) : (
            <ul className="build-list">
              {builds.map((build) => (
                <li key={build.id}>
                  <button
                    type="button"
                    className="link-button"
                    aria-current={selectedBuild === build.id ? 'true' : undefined}
                    onClick={() => setSelectedBuild(build.id)}
                  >
                    <code>{build.id}</code>
                  </button>
                  {build.status ? (
                    <span className={`badge status-${build.status.toLowerCase()}`}>{build.status}</span>
                  ) : null}
                  {build.start_time ? <span className="muted small-text"> {build.start_time}</span> : null}
                </li>
              ))}
            </ul>
          )
        ) : null}
        {selectedBuild && open ? <BuildView key={selectedBuild} buildId={selectedBuild} /> : null}
      </div>
    </section>
  );
}
