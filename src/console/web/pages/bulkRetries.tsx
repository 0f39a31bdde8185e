/**
 * Bulk retries (/bulk/events/retry): the list, and one with its progress (read again every second while it runs)
 * and a Cancel action. They are started from the Events page ("Retry all matching").
 */
import { get, post, qs, type BulkRetry, type ManagementList } from '../api';
import { Badge, ConfirmButton, ErrorMessage, Json, Page, Pager, Time, useAction, useInterval, useLoad } from '../components';
import { Link, navigate, useLocation } from '../router';

function state(job: BulkRetry): string {
  if (job.cancelled_at !== null) return 'CANCELLED';
  if (job.completed_at !== null) return 'SUCCESSFUL';
  return 'QUEUED';
}

function Progress({ job }: { job: BulkRetry }) {
  const percent = Math.round(job.progress * 100);
  return (
    <div class="progress">
      <progress max={100} value={percent} aria-label={`Bulk retry ${job.id} progress`} /> <span>{percent}%</span>
    </div>
  );
}

export function BulkRetriesPage() {
  const location = useLocation();
  const q = location.query;
  const list = useLoad(() => get<ManagementList<BulkRetry>>(`/bulk/events/retry${qs({ limit: 25, next: q.get('next'), prev: q.get('prev') })}`), q.toString());
  const data = list.data;
  useInterval(() => list.reload(), 2000, (data?.models ?? []).some((job) => job.in_progress));
  return (
    <Page title="Bulk retries">
      <p class="hint">
        Start one from <Link to="/events">Events</Link>: filter, then “Retry all matching”.
      </p>
      <ErrorMessage error={list.error} />
      <div class="table-wrap">
        <table>
          <caption>Bulk retries</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">State</th>
              <th scope="col">Progress</th>
              <th scope="col">Retried</th>
              <th scope="col">Skipped</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {(data?.models ?? []).map((job) => (
              <tr key={job.id}>
                <td>
                  <Link to={`/bulk-retries/${job.id}`}>{job.id}</Link>
                </td>
                <td>
                  <Badge value={state(job)} />
                </td>
                <td>
                  <Progress job={job} />
                </td>
                <td>{job.retried_count}</td>
                <td>{job.skipped_count}</td>
                <td>
                  <Time value={job.created_at} />
                </td>
              </tr>
            ))}
            {data !== null && data.models.length === 0 ? (
              <tr>
                <td colSpan={6} class="empty">
                  No bulk retry yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <Pager
        onNewer={data?.pagination.prev ? () => navigate(`/bulk-retries${qs({ prev: data.pagination.prev })}`) : null}
        onOlder={data?.pagination.next ? () => navigate(`/bulk-retries${qs({ next: data.pagination.next })}`) : null}
      />
    </Page>
  );
}

export function BulkRetryPage({ id }: { id: string }) {
  const job = useLoad(() => get<BulkRetry>(`/bulk/events/retry/${encodeURIComponent(id)}`), id);
  const { busy, run } = useAction();
  const data = job.data;
  useInterval(() => job.reload(), 1000, data?.in_progress === true);
  const cancel = () => run(async () => job.setData(await post<BulkRetry>(`/bulk/events/retry/${encodeURIComponent(id)}/cancel`)), 'Bulk retry cancelled');
  return (
    <Page
      title={`Bulk retry ${id}`}
      actions={<ConfirmButton label="Cancel" question="Stop this bulk retry? Events already queued are still attempted." confirmLabel="Stop it" danger onConfirm={() => void cancel()} disabled={busy || data?.in_progress !== true} />}
    >
      <p>
        <Link to="/bulk-retries">← All bulk retries</Link>
      </p>
      <ErrorMessage error={job.error} />
      {data === null ? null : (
        <>
          <Progress job={data} />
          <dl class="facts card" aria-live="polite">
            <dt>State</dt>
            <dd>
              <Badge value={state(data)} />
            </dd>
            <dt>Estimated events</dt>
            <dd>{data.estimated_count}</dd>
            <dt>Examined</dt>
            <dd>{data.processed_count}</dd>
            <dt>Queued for retry</dt>
            <dd>{data.retried_count}</dd>
            <dt>Skipped</dt>
            <dd title="In flight, on hold, or their connection is paused, disabled or deleted">{data.skipped_count}</dd>
            <dt>Started</dt>
            <dd>
              <Time value={data.created_at} />
            </dd>
            <dt>Finished</dt>
            <dd>
              <Time value={data.completed_at ?? data.cancelled_at} />
            </dd>
          </dl>
          <h2>Query</h2>
          <Json value={data.query} label="Bulk retry query" />
        </>
      )}
    </Page>
  );
}
