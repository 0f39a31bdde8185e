/**
 * Overview (GET /metrics/events): events per minute (or hour) by status, the success rate, the backlog and the
 * failing destinations over a chosen window, refreshed every 10 s.
 */
import { get, qs, type EventMetrics } from '../api';
import { RateLine, StackedBars, type Series } from '../charts';
import { ErrorMessage, Page, Select, Time, useInterval, useLoad } from '../components';
import { Link, navigate, useLocation } from '../router';

const WINDOWS = [
  { value: '1h', label: 'Last hour', bucket: 'minute' },
  { value: '6h', label: 'Last 6 hours', bucket: 'minute' },
  { value: '24h', label: 'Last 24 hours', bucket: 'hour' },
  { value: '7d', label: 'Last 7 days', bucket: 'hour' },
];

const SERIES: Series[] = [
  { key: 'SUCCESSFUL', label: 'Successful', className: 'series-ok' },
  { key: 'FAILED', label: 'Failed', className: 'series-bad' },
  { key: 'SCHEDULED', label: 'Retrying', className: 'series-warn' },
  { key: 'QUEUED', label: 'Queued', className: 'series-info' },
  { key: 'HOLD', label: 'On hold', className: 'series-hold' },
  { key: 'CANCELLED', label: 'Cancelled', className: 'series-muted' },
];

function percent(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

function label(iso: string, bucket: string): string {
  const date = new Date(iso);
  return bucket === 'minute' || bucket === 'hour'
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { month: 'short', day: '2-digit' });
}

export function OverviewPage() {
  const location = useLocation();
  const chosen = WINDOWS.find((w) => w.value === location.query.get('window')) ?? WINDOWS[0];
  const window = chosen?.value ?? '1h';
  const bucket = chosen?.bucket ?? 'minute';
  const metrics = useLoad(() => get<EventMetrics>(`/metrics/events${qs({ window, bucket })}`), window);
  useInterval(() => metrics.reload(), 10_000, true);
  const data = metrics.data;
  const labels = (data?.buckets ?? []).map((b) => label(b.start, bucket));
  return (
    <Page
      title="Overview"
      actions={
        <Select
          label="Window"
          options={WINDOWS}
          value={window}
          onChange={(e) => navigate(`/overview${qs({ window: (e.currentTarget).value })}`, { replace: true })}
        />
      }
    >
      <ErrorMessage error={metrics.error} />
      {data === null ? (
        <p aria-busy="true">Loading…</p>
      ) : (
        <>
          <ul class="stats">
            <li class="stat card">
              <span class="stat-label">Events in window</span>
              <span class="stat-value">{data.totals.total}</span>
            </li>
            <li class="stat card">
              <span class="stat-label">Success rate</span>
              <span class="stat-value">{percent(data.totals.success_rate)}</span>
            </li>
            <li class="stat card">
              <span class="stat-label">Backlog (queued, retrying, on hold)</span>
              <span class="stat-value">
                <Link to="/events?status=QUEUED,SCHEDULED,HOLD">{data.backlog.total}</Link>
              </span>
              <span class="stat-note">
                {data.backlog.queued} queued · {data.backlog.scheduled} retrying · {data.backlog.hold} on hold
              </span>
            </li>
            <li class="stat card">
              <span class="stat-label">Oldest pending</span>
              <span class="stat-value stat-small">
                <Time value={data.backlog.oldest_pending_at} />
              </span>
            </li>
          </ul>
          <StackedBars
            title={`Events per ${bucket}`}
            labels={labels}
            rows={data.buckets.map((b) => b.counts)}
            series={SERIES}
            summary={`${data.totals.total} events, ${data.totals.counts.SUCCESSFUL} successful and ${data.totals.counts.FAILED} failed`}
          />
          <RateLine
            title="Success rate (successful ÷ finished)"
            labels={labels}
            values={data.buckets.map((b) => b.success_rate)}
            summary={`${percent(data.totals.success_rate)} over the window`}
          />
          <h2>Failing destinations</h2>
          <div class="table-wrap">
            <table>
              <caption>Destinations with failed or retrying events in the window</caption>
              <thead>
                <tr>
                  <th scope="col">Destination</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Retrying</th>
                  <th scope="col">Last attempt</th>
                </tr>
              </thead>
              <tbody>
                {data.failing_destinations.map((d) => (
                  <tr key={d.destination_id}>
                    <td>
                      <Link to={`/events${qs({ destination_id: d.destination_id, status: 'FAILED,SCHEDULED' })}`}>{d.name ?? d.destination_id}</Link>
                    </td>
                    <td>{d.failed}</td>
                    <td>{d.retrying}</td>
                    <td>
                      <Time value={d.last_attempt_at} />
                    </td>
                  </tr>
                ))}
                {data.failing_destinations.length === 0 ? (
                  <tr>
                    <td colSpan={4} class="empty">
                      No failures in this window.
                    </td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Page>
  );
}
