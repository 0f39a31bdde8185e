/**
 * One event (GET /events/:id): its state, the original request (headers, body pretty-printed), every attempt
 * (GET /attempts?event_id=…) with what was sent and what came back, and the Retry (POST /events/:id/retry) and
 * Mute (PUT /events/:id/mute) actions. While the event is pending it is read again every 2 s.
 */
import { get, post, put, qs, type Attempt, type EventWithRequest, type SeedList } from '../api';
import { Badge, ErrorMessage, Json, notify, Page, Time, useAction, useInterval, useLoad } from '../components';
import { nameOf, useNames } from '../lookups';
import { Link } from '../router';

const PENDING = new Set(['QUEUED', 'SCHEDULED']);

function RequestBody({ request }: { request: EventWithRequest['request'] }) {
  if (request.body === null) return <p class="hint">No body.</p>;
  if (request.body_encoding === 'base64') {
    const text = typeof request.body === 'string' ? request.body : '';
    return (
      <>
        <p class="hint">Binary body, shown as base64 ({Math.floor((text.length * 3) / 4)} bytes).</p>
        <Json value={text} label="Request body (base64)" />
      </>
    );
  }
  return <Json value={request.body} label="Request body" />;
}

function Headers({ headers }: { headers: Record<string, string> }) {
  const entries = Object.entries(headers);
  return (
    <table class="kv">
      <caption>Request headers ({entries.length})</caption>
      <tbody>
        {entries.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AttemptCard({ attempt }: { attempt: Attempt }) {
  return (
    <article class="attempt card" aria-labelledby={`${attempt.id}-title`}>
      <h3 id={`${attempt.id}-title`}>
        Attempt {attempt.attempt_number} <Badge value={attempt.status} /> <span class="muted">{attempt.trigger}</span>
      </h3>
      <dl class="facts">
        <dt>Request</dt>
        <dd>
          <code>
            {attempt.http_method} {attempt.requested_url}
          </code>
        </dd>
        <dt>Response status</dt>
        <dd>{attempt.response_status ?? '—'}</dd>
        <dt>Error</dt>
        <dd>{attempt.error_code ?? '—'}</dd>
        <dt>Response time</dt>
        <dd>{attempt.response_latency === null ? '—' : `${attempt.response_latency} ms`}</dd>
        <dt>Delivery latency</dt>
        <dd>{attempt.delivery_latency === null ? '—' : `${attempt.delivery_latency} ms`}</dd>
        <dt>At</dt>
        <dd>
          <Time value={attempt.created_at} />
        </dd>
      </dl>
      <details>
        <summary>Response body</summary>
        {attempt.body === null ? <p class="hint">No body.</p> : <Json value={attempt.body} label={`Response body of attempt ${attempt.attempt_number}`} />}
      </details>
    </article>
  );
}

export function EventPage({ id }: { id: string }) {
  const event = useLoad(() => get<EventWithRequest>(`/events/${encodeURIComponent(id)}`), id);
  const attempts = useLoad(() => get<SeedList<Attempt>>(`/attempts${qs({ event_id: id, order_direction: 'desc', limit: 100 })}`), id);
  const { busy, run } = useAction();
  const data = event.data;
  const sourceNames = useNames('/sources', data === null ? [] : [data.source_id]);
  const destinationNames = useNames('/destinations', data === null ? [] : [data.destination_id]);
  useInterval(
    async () => {
      await Promise.all([event.reload(), attempts.reload()]);
    },
    2000,
    data !== null && PENDING.has(data.status),
  );

  const retry = () =>
    run(async () => {
      const attempt = await post<Attempt>(`/events/${encodeURIComponent(id)}/retry`);
      notify(`Retried: attempt ${attempt.attempt_number} ${attempt.status === 'SUCCESSFUL' ? 'succeeded' : 'failed'} (${attempt.response_status ?? attempt.error_code ?? 'no response'})`);
      await Promise.all([event.reload(), attempts.reload()]);
    });
  const mute = () =>
    run(async () => {
      const muted = await put<EventWithRequest>(`/events/${encodeURIComponent(id)}/mute`);
      event.setData(muted);
      notify('Muted: no more automatic retries');
    });
  const canMute = data !== null && (data.next_attempt_at !== null || ['QUEUED', 'SCHEDULED', 'HOLD'].includes(data.status));

  return (
    <Page
      title={`Event ${id}`}
      actions={
        <>
          <button type="button" class="button-primary" onClick={() => void retry()} disabled={busy || data === null}>
            Retry
          </button>
          <button type="button" onClick={() => void mute()} disabled={busy || !canMute} title="Cancel automatic retries">
            Mute
          </button>
        </>
      }
    >
      <p>
        <Link to="/events">← All events</Link>
      </p>
      <ErrorMessage error={event.error} />
      {data === null ? null : (
        <>
          <dl class="facts card">
            <dt>Status</dt>
            <dd>
              <Badge value={data.status} />
            </dd>
            <dt>Source</dt>
            <dd>
              <Link to={`/sources/${data.source_id}`}>{nameOf(sourceNames, data.source_id)}</Link>
            </dd>
            <dt>Destination</dt>
            <dd>
              <Link to={`/destinations/${data.destination_id}`}>{nameOf(destinationNames, data.destination_id)}</Link>
            </dd>
            <dt>Connection</dt>
            <dd>
              <Link to={`/connections/${data.webhook_id}`}>{data.webhook_id}</Link>
            </dd>
            <dt>Request</dt>
            <dd>
              <code>{data.request_id}</code>
            </dd>
            <dt>Attempts</dt>
            <dd>{data.attempts}</dd>
            <dt>Last response</dt>
            <dd>{data.response_status ?? data.error_code ?? '—'}</dd>
            <dt>Next attempt</dt>
            <dd>
              <Time value={data.next_attempt_at} />
            </dd>
            <dt>Created</dt>
            <dd>
              <Time value={data.created_at} />
            </dd>
          </dl>
          <h2>Original request</h2>
          <Headers headers={data.request.headers} />
          <h3>Body</h3>
          <RequestBody request={data.request} />
        </>
      )}
      <h2>Attempts</h2>
      <ErrorMessage error={attempts.error} />
      {attempts.data !== null && attempts.data.models.length === 0 ? <p class="hint">No attempt yet.</p> : null}
      {(attempts.data?.models ?? []).map((attempt) => (
        <AttemptCard key={attempt.id} attempt={attempt} />
      ))}
    </Page>
  );
}
