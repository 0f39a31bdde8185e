/**
 * Events (GET /events): filters (status, source and destination by type-ahead, time range, text in the body) kept
 * in the URL, server-side pages of 50 with the API's cursors, and live updates: on the first page, every 2 s the
 * page is read again from its oldest row's time on (`created_after`), so new events appear at the top and
 * statuses change in place, while the API counts only that small range. "Retry all matching" starts a bulk retry of the filter.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, EVENT_STATUSES, get, post, qs, type BulkRetry, type EventModel, type SeedList } from '../api';
import { Badge, ConfirmButton, ErrorMessage, Field, notify, Page, Pager, Select, Time, useAction, useInterval, useLoad } from '../components';
import { nameOf, useNames } from '../lookups';
import { NamePicker, resolvePicked, type Picked } from '../namePicker';
import { Link, navigate, useLocation } from '../router';

const PAGE_SIZE = 50;
const LIVE_MS = 2000;

const RANGES: { value: string; label: string; ms: number }[] = [
  { value: '', label: 'Any time', ms: 0 },
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: 'custom', label: 'Between…', ms: 0 },
];

interface Filters {
  status: string[];
  source_id: string;
  destination_id: string;
  range: string;
  from: string;
  to: string;
  q: string;
}

function readFilters(query: URLSearchParams): Filters {
  return {
    status: (query.get('status') ?? '').split(',').filter((s) => s !== ''),
    source_id: query.get('source_id') ?? '',
    destination_id: query.get('destination_id') ?? '',
    range: query.get('range') ?? '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
    q: query.get('q') ?? '',
  };
}

/** `datetime-local` values are local times without a zone: the browser's Date reads them as such. */
function isoOfLocal(value: string): string | null {
  if (value === '') return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The API's filter parameters for these filters (relative ranges computed now). */
export function apiFilter(filters: Filters): Record<string, string | null> {
  const preset = RANGES.find((r) => r.value === filters.range);
  const gte = filters.range === 'custom' ? isoOfLocal(filters.from) : preset !== undefined && preset.ms > 0 ? new Date(Date.now() - preset.ms).toISOString() : null;
  const lte = filters.range === 'custom' ? isoOfLocal(filters.to) : null;
  return {
    status: filters.status.length > 0 ? filters.status.join(',') : null,
    source_id: filters.source_id || null,
    destination_id: filters.destination_id || null,
    'created_at[gte]': gte,
    'created_at[lte]': lte,
    q: filters.q || null,
  };
}

function filterQuery(filters: Filters): string {
  return qs({ ...filters, status: filters.status.join(','), from: filters.range === 'custom' ? filters.from : '', to: filters.range === 'custom' ? filters.to : '' });
}

function FilterForm({ filters }: { filters: Filters }) {
  // Controlled: a re-render (range changed) must not reset what the user has typed.
  const [f, setF] = useState(filters);
  // The pickers' text and id; null = not touched (the filter's id stands).
  const [source, setSource] = useState<Picked | null>(null);
  const [destination, setDestination] = useState<Picked | null>(null);
  const [error, setError] = useState<unknown>(null);
  const set = (name: keyof Filters) => (event: Event) => setF({ ...f, [name]: (event.currentTarget as HTMLInputElement).value });
  const toggle = (status: string) => setF({ ...f, status: f.status.includes(status) ? f.status.filter((s) => s !== status) : [...f.status, status] });
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    void (async () => {
      try {
        const source_id = await resolvePicked(source, filters.source_id, '/sources', 'source');
        const destination_id = await resolvePicked(destination, filters.destination_id, '/destinations', 'destination');
        setError(null);
        navigate(`/events${filterQuery({ ...f, source_id, destination_id, q: f.q.trim() })}`);
      } catch (caught) {
        setError(caught);
      }
    })();
  };
  return (
    <form class="filters card" role="search" aria-label="Filter events" onSubmit={submit}>
      <fieldset class="statuses">
        <legend>Status</legend>
        {EVENT_STATUSES.map((status) => (
          <label key={status} class="check">
            <input type="checkbox" name="status" value={status} checked={f.status.includes(status)} onChange={() => toggle(status)} /> {status}
          </label>
        ))}
      </fieldset>
      <div class="filter-row">
        <NamePicker label="Source" resource="/sources" initialId={filters.source_id} placeholder="All sources" onChange={setSource} />
        <NamePicker label="Destination" resource="/destinations" initialId={filters.destination_id} placeholder="All destinations" onChange={setDestination} />
        <Select label="Time range" name="range" options={RANGES} value={f.range} onChange={set('range')} />
        {f.range === 'custom' ? (
          <>
            <Field label="From" name="from" type="datetime-local" step={1} value={f.from} onInput={set('from')} />
            <Field label="To" name="to" type="datetime-local" step={1} value={f.to} onInput={set('to')} />
          </>
        ) : null}
        <Field
          label="Body contains"
          name="q"
          type="search"
          value={f.q}
          onInput={set('q')}
          placeholder="text in the request body"
          hint="Exact text, case-sensitive"
        />
      </div>
      <ErrorMessage error={error} />
      <div class="form-actions">
        <button type="submit" class="button-primary">
          Apply filters
        </button>
        <button type="button" onClick={() => navigate('/events')}>
          Clear
        </button>
      </div>
    </form>
  );
}

function BulkRetryButton({ filters, matching }: { filters: Filters; matching: number }) {
  const { busy, run } = useAction();
  const [estimate, setEstimate] = useState<number | null>(null);
  const filter = apiFilter(filters);
  useEffect(() => setEstimate(null), [filterQuery(filters)]);
  const plan = () => run(async () => setEstimate((await get<{ estimated_count: number }>(`/bulk/events/retry/plan${qs(filter)}`)).estimated_count));
  const start = () =>
    run(async () => {
      const query: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(filter)) {
        if (value === null) continue;
        if (key.startsWith('created_at[')) {
          const bounds = (query.created_at ?? {}) as Record<string, string>;
          bounds[key.slice('created_at['.length, -1)] = value;
          query.created_at = bounds;
        } else query[key] = key === 'status' ? value.split(',') : value;
      }
      const job = await post<BulkRetry>('/bulk/events/retry', { query });
      notify(`Bulk retry started for ${job.estimated_count === 1 ? '1 event' : `about ${job.estimated_count} events`}`);
      navigate(`/bulk-retries/${job.id}`);
    });
  if (estimate === null) {
    return (
      <button type="button" onClick={() => void plan()} disabled={busy || matching === 0}>
        Retry all matching…
      </button>
    );
  }
  return (
    <ConfirmButton
      label={`Retry ${estimate} ${estimate === 1 ? 'event' : 'events'}`}
      question={`Queue an attempt now for the ${estimate === 1 ? 'event' : `${estimate} events`} matching these filters? They are retried in the background, 100 at a time; you can follow and cancel it.`}
      confirmLabel="Start bulk retry"
      onConfirm={() => void start()}
      disabled={busy}
    />
  );
}

export function EventsPage() {
  const location = useLocation();
  const filters = readFilters(location.query);
  const after = location.query.get('after');
  const before = location.query.get('before');
  const key = location.query.toString();
  const [searchedFrom, setSearchedFrom] = useState<string | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const list = useLoad(async () => {
    const answer = await call<SeedList<EventModel>>('GET', `/events${qs({ ...apiFilter(filters), limit: PAGE_SIZE, after, before })}`);
    setSearchedFrom(answer.headers.get('x-sluice-search-from'));
    return answer.data;
  }, key);
  const [live, setLive] = useState(true);
  const firstPage = after === null && before === null;
  const openEnded = !(filters.range === 'custom' && filters.to !== '');

  useInterval(
    async () => {
      const current = list.data;
      if (current === null) return;
      const oldest = current.models[current.models.length - 1];
      if (oldest === undefined) return list.reload();
      // Everything from the oldest row shown on: new events and the shown ones' new statuses, in one bounded read.
      const since = new Date(new Date(oldest.created_at).getTime() - 1).toISOString();
      const answer = await get<SeedList<EventModel>>(`/events${qs({ ...apiFilter(filters), created_after: since, limit: 250 })}`);
      if (answer.total_count > answer.count) return list.reload();
      const shown = new Set(current.models.map((m) => m.id));
      const added = answer.models.filter((m) => !shown.has(m.id)).map((m) => m.id);
      const models = answer.models.slice(0, PAGE_SIZE);
      const last = models[models.length - 1];
      list.setData({
        ...current,
        models,
        count: models.length,
        total_count: current.total_count + added.length,
        pagination: { ...current.pagination, after: answer.models.length > PAGE_SIZE || current.pagination.after !== null ? (last?.id ?? null) : null },
      });
      if (added.length > 0) {
        setFresh(new Set(added));
        notify(added.length === 1 ? '1 new event' : `${added.length} new events`);
      }
    },
    LIVE_MS,
    live && firstPage && openEnded && list.data !== null,
  );

  const page = (cursor: { after?: string; before?: string }) => {
    const next = new URLSearchParams(location.query);
    next.delete('after');
    next.delete('before');
    for (const [name, value] of Object.entries(cursor)) next.set(name, value);
    navigate(`/events?${next.toString()}`);
  };
  const data = list.data;
  const sourceNames = useNames('/sources', (data?.models ?? []).map((e) => e.source_id));
  const destinationNames = useNames('/destinations', (data?.models ?? []).map((e) => e.destination_id));
  return (
    <Page
      title="Events"
      actions={
        <>
          <label class="check">
            <input type="checkbox" checked={live} onChange={(e) => setLive((e.currentTarget).checked)} /> Live updates
          </label>
          <BulkRetryButton filters={filters} matching={data?.total_count ?? 0} />
        </>
      }
    >
      <FilterForm filters={filters} key={key} />
      <ErrorMessage error={list.error} />
      {searchedFrom === null ? null : (
        <p class="hint" role="note">
          The body search looked at the newest events matching the other filters, back to <Time value={searchedFrom} />. Narrow the time range to search
          older events.
        </p>
      )}
      <div class="table-wrap" aria-busy={list.loading}>
        <table>
          <caption>
            {data === null
              ? 'Loading events…'
              : `${data.total_count} ${data.total_count === 1 ? 'event matches' : 'events match'}${live && firstPage && openEnded ? ' (live)' : ''}`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Event</th>
              <th scope="col">Source</th>
              <th scope="col">Destination</th>
              <th scope="col">Attempts</th>
              <th scope="col">Response</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {(data?.models ?? []).map((event) => (
              <tr key={event.id} class={fresh.has(event.id) ? 'fresh' : undefined} data-event-id={event.id}>
                <td>
                  <Badge value={event.status} />
                </td>
                <td>
                  <Link to={`/events/${event.id}`}>{event.id}</Link>
                </td>
                <td>{nameOf(sourceNames, event.source_id)}</td>
                <td>{nameOf(destinationNames, event.destination_id)}</td>
                <td>{event.attempts}</td>
                <td>{event.response_status ?? event.error_code ?? '—'}</td>
                <td>
                  <Time value={event.created_at} />
                </td>
              </tr>
            ))}
            {data !== null && data.models.length === 0 ? (
              <tr>
                <td colSpan={7} class="empty">
                  No events match these filters.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <Pager
        onNewer={data?.pagination.before ? () => page({ before: data.pagination.before ?? '' }) : null}
        onOlder={data?.pagination.after ? () => page({ after: data.pagination.after ?? '' }) : null}
      />
    </Page>
  );
}
