import { useEffect, useRef, useState } from 'react';
import { useApi } from '../../api-context.tsx';
import type { DoneEvent, LogEvent } from '../../api/deployer.ts';
import type { StreamStatus } from '../../api/event-stream.ts';
import { toSafeHttpUrl } from '../../components/safe-url.ts';
import { describeStages, isFailureState, isFinalState } from './stages.ts';

const MAX_LOG_LINES = 5000;

const STAGE_ICON = { done: '✓', active: '●', pending: '○', failed: '✕', skipped: '–' } as const;

export interface DeployOutcome {
  state: string;
  image?: string;
  url?: string;
  manifest?: string;
  error?: string;
}

export function DeployResult({ outcome }: { outcome: DeployOutcome }) {
  const url = toSafeHttpUrl(outcome.url);
  const failed = isFailureState(outcome.state);
  // A failure's first line is the summary; what follows (the app's traceback, its last log lines) is shown as is.
  const [summary, ...details] = (outcome.error ?? '').split('\n');
  const detail = details.join('\n').trim();
  return (
    <div className="deploy-result" data-testid="deploy-result">
      <p className={failed ? 'notice notice-error' : 'notice notice-ok'} data-testid="deploy-final-state">
        {failed ? 'Deployment failed' : 'Deployment finished'}: <strong>{outcome.state}</strong>
        {summary ? ` — ${summary}` : ''}
      </p>
      {detail ? (
        <pre
          className="code-block"
          tabIndex={0}
          aria-label="Why it failed"
          data-testid="deploy-failure-detail"
        >
          {detail}
        </pre>
      ) : null}
      {outcome.image ? (
        <p>
          Deployed image: <code data-testid="deploy-image">{outcome.image}</code>
        </p>
      ) : null}
      {url ? (
        <p>
          URL:{' '}
          <a href={url} target="_blank" rel="noopener noreferrer" data-testid="deploy-url">
            {url}
          </a>
        </p>
      ) : outcome.url ? (
        <p>
          Address: <code data-testid="deploy-url">{outcome.url}</code>
        </p>
      ) : null}
      {outcome.manifest ? (
        <>
          <h3>Applied manifest</h3>
          <pre className="code-block" tabIndex={0} data-testid="deploy-manifest">
            {outcome.manifest}
          </pre>
        </>
      ) : null}
    </div>
  );
}

/** Follows one deployment over server-sent events: stages, progress, streaming logs, the result. */
export function DeployProgress({ deploymentId, onFinished }: { deploymentId: string; onFinished(): void }) {
  const api = useApi();
  const [seen, setSeen] = useState<string[]>([]);
  const [progress, setProgress] = useState(0);
  const [lines, setLines] = useState<LogEvent[]>([]);
  const [outcome, setOutcome] = useState<DoneEvent | undefined>(undefined);
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const logRef = useRef<HTMLPreElement>(null);
  const followRef = useRef(true);

  useEffect(() => {
    const stream = api.deployer.streamDeployment(deploymentId, {
      onState: (event) => {
        setSeen((current) => (current.at(-1) === event.state ? current : [...current, event.state]));
        if (typeof event.progress === 'number') setProgress(Math.max(0, Math.min(100, event.progress)));
      },
      onLog: (event) => setLines((current) => [...current, event].slice(-MAX_LOG_LINES)),
      onDone: (event) => {
        setOutcome(event);
        setSeen((current) => (current.at(-1) === event.state ? current : [...current, event.state]));
        if (!isFailureState(event.state)) setProgress(100);
        // The stream has said all it will; closing stops EventSource from reconnecting.
        stream.close();
        onFinished();
      },
      onStatus: setStatus,
    });
    return () => stream.close();
  }, [api, deploymentId, onFinished]);

  useEffect(() => {
    const element = logRef.current;
    if (element && followRef.current) element.scrollTop = element.scrollHeight;
  }, [lines]);

  const onScroll = () => {
    const element = logRef.current;
    if (element) followRef.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
  };

  const stages = describeStages(seen);
  const current = seen.at(-1);
  const finished = outcome !== undefined || (current !== undefined && isFinalState(current));
  return (
    <section
      className="card"
      aria-labelledby="progress-title"
      data-testid="deploy-progress"
      data-deployment-id={deploymentId}
    >
      <div className="card-head">
        <h2 id="progress-title">Deployment progress</h2>
        <span className={`connection connection-${finished ? 'off' : status}`}>
          <span className="dot" aria-hidden="true" />{' '}
          {finished
            ? 'Finished'
            : status === 'open'
              ? 'Streaming'
              : status === 'closed'
                ? 'Disconnected'
                : 'Connecting…'}
        </span>
      </div>
      <p className="muted small-text">
        Deployment <code>{deploymentId}</code>
      </p>
      <ol className="stage-list" aria-label="Stages" data-testid="deploy-stages">
        {stages.map((stage) => (
          <li
            key={stage.name}
            className={`stage stage-${stage.status}`}
            data-testid="deploy-stage"
            data-stage={stage.name}
            data-status={stage.status}
            aria-current={stage.status === 'active' ? 'step' : undefined}
          >
            <span className="stage-icon" aria-hidden="true">
              {STAGE_ICON[stage.status]}
            </span>
            <span className="stage-name">{stage.name}</span>
            <span className="visually-hidden">: {stage.status}</span>
          </li>
        ))}
      </ol>
      <div className="progress-row">
        <label htmlFor="deploy-progress-bar">Progress</label>
        <progress id="deploy-progress-bar" max={100} value={progress} data-testid="deploy-progress-bar">
          {progress}%
        </progress>
        <span className="progress-value">{progress}%</span>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite">
        {current ? `Stage ${current}` : ''}
      </p>
      <h3>Logs</h3>
      <pre
        className="code-block log-block"
        ref={logRef}
        onScroll={onScroll}
        tabIndex={0}
        aria-label="Deployment logs"
        data-testid="deploy-logs"
      >
        {lines.length === 0
          ? 'Waiting for logs…'
          : lines.map((line) => (line.stage ? `[${line.stage}] ${line.line}` : line.line)).join('\n')}
      </pre>
      {outcome ? <DeployResult outcome={outcome} /> : null}
    </section>
  );
}
