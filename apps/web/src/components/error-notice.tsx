import { ApiError } from '../api/http.ts';

/** An error shown where it happened; announced to screen readers. */
export function ErrorNotice({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  return (
    <p className="notice notice-error" role="alert" data-testid={testId}>
      {message}
      {requestId ? <span className="muted"> (request {requestId})</span> : null}
    </p>
  );
}
