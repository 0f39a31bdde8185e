/**
 * Destinations (/destinations, type HTTP): where connections forward events. List, create, edit, disable/enable
 * (disabling holds their pending events), delete (refused while connections use it).
 */
import { useState } from 'preact/hooks';
import { del, get, post, put, qs, type Destination, type ManagementList } from '../api';
import { Badge, ConfirmButton, ErrorMessage, Field, formValue, Page, Pager, parseJsonField, Select, TextArea, Time, useAction, useLoad } from '../components';
import { forgetLookups } from '../lookups';
import { Link, navigate, useLocation } from '../router';

/** What `rate_limit` counts: attempts in flight, or attempts started per second, minute or hour (across all processes). */
const RATE_LIMIT_PERIODS = [
  { value: 'concurrent', label: 'at once (concurrent attempts)' },
  { value: 'second', label: 'per second' },
  { value: 'minute', label: 'per minute' },
  { value: 'hour', label: 'per hour' },
];

const METHOD_OPTIONS = [{ value: '', label: "The request's own method" }, ...['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => ({ value: m, label: m }))];

function DestinationForm({ destination, onSaved }: { destination: Destination | null; onSaved: (d: Destination) => void }) {
  const { busy, run } = useAction();
  const [error, setError] = useState<unknown>(null);
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    void run(async () => {
      try {
        const timeout = formValue(form, 'timeout');
        const rateLimit = formValue(form, 'rate_limit');
        const headers = parseJsonField('Headers', formValue(form, 'headers'));
        const config: Record<string, unknown> = {
          url: formValue(form, 'url'),
          http_method: formValue(form, 'http_method') || null,
          rate_limit: rateLimit === '' ? null : Number(rateLimit),
          rate_limit_period: rateLimit === '' ? null : formValue(form, 'rate_limit_period'),
          headers: headers ?? {},
        };
        if (timeout !== '') config.timeout = Number(timeout);
        const body = { name: formValue(form, 'name'), description: formValue(form, 'description') || null, type: 'HTTP', config };
        const saved = destination === null ? await post<Destination>('/destinations', body) : await put<Destination>(`/destinations/${destination.id}`, body);
        setError(null);
        forgetLookups();
        if (destination === null) form.reset();
        onSaved(saved);
      } catch (caught) {
        setError(caught);
        throw caught;
      }
    }, destination === null ? 'Destination created' : 'Destination saved');
  };
  const c = destination?.config;
  return (
    <form class="card form" onSubmit={submit} aria-label={destination === null ? 'New destination' : 'Edit destination'}>
      <Field label="Name" name="name" required pattern="[A-Za-z0-9_\-]+" maxLength={155} defaultValue={destination?.name} hint="Letters, digits, _ and -" />
      <Field label="Description" name="description" defaultValue={destination?.description ?? ''} maxLength={1000} />
      <Field label="URL" name="url" type="url" required defaultValue={c?.url} placeholder="https://example.com/webhooks" hint="The request path after /e/:id is appended" />
      <Select label="HTTP method" name="http_method" options={METHOD_OPTIONS} defaultValue={c?.http_method ?? ''} />
      <Field label="Timeout (ms)" name="timeout" type="number" min={100} max={300000} defaultValue={c === undefined ? '' : String(c.timeout)} hint="Default: the gateway's (5000)" />
      <fieldset>
        <legend>Rate limit</legend>
        <Field
          label="Attempts"
          name="rate_limit"
          type="number"
          min={1}
          max={1000000}
          defaultValue={c?.rate_limit === null || c === undefined ? '' : String(c.rate_limit)}
          hint="Beyond it events wait in the queue (not failed). Empty: no limit but the gateway's concurrency default"
        />
        <Select label="Counted" name="rate_limit_period" options={RATE_LIMIT_PERIODS} defaultValue={c?.rate_limit_period ?? 'concurrent'} />
      </fieldset>
      <TextArea
        label="Headers (JSON)"
        name="headers"
        rows={3}
        defaultValue={c === undefined || Object.keys(c.headers).length === 0 ? '' : JSON.stringify(c.headers, null, 2)}
        hint='Added to every forwarded request, e.g. {"authorization": "Bearer …"}'
      />
      <ErrorMessage error={error} />
      <button type="submit" class="button-primary" disabled={busy}>
        {destination === null ? 'Create destination' : 'Save'}
      </button>
    </form>
  );
}

function DestinationActions({ destination, onChange }: { destination: Destination; onChange: (d: Destination | null) => void }) {
  const { busy, run } = useAction();
  const disabled = destination.disabled_at !== null;
  const toggle = () =>
    run(async () => onChange(await put<Destination>(`/destinations/${destination.id}/${disabled ? 'enable' : 'disable'}`)), disabled ? 'Destination enabled' : 'Destination disabled');
  const remove = () =>
    run(async () => {
      await del(`/destinations/${destination.id}`);
      forgetLookups();
      onChange(null);
    }, 'Destination deleted');
  return (
    <div class="row-actions">
      <button type="button" onClick={() => void toggle()} disabled={busy}>
        {disabled ? 'Enable' : 'Disable'}
      </button>
      <ConfirmButton
        label="Delete"
        danger
        question={`Delete destination ${destination.name}? Delete the connections that use it first.`}
        onConfirm={() => void remove()}
        disabled={busy}
      />
    </div>
  );
}

export function DestinationsPage() {
  const location = useLocation();
  const cursor = { next: location.query.get('next'), prev: location.query.get('prev') };
  const list = useLoad(() => get<ManagementList<Destination>>(`/destinations${qs({ limit: 50, ...cursor })}`), location.query.toString());
  const data = list.data;
  return (
    <Page title="Destinations">
      <details class="create">
        <summary>New destination</summary>
        <DestinationForm destination={null} onSaved={() => void list.reload()} />
      </details>
      <ErrorMessage error={list.error} />
      <div class="table-wrap">
        <table>
          <caption>Destinations</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">URL</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(data?.models ?? []).map((d) => (
              <tr key={d.id}>
                <td>
                  <Link to={`/destinations/${d.id}`}>{d.name}</Link>
                </td>
                <td>
                  <code>{d.config.url}</code>
                </td>
                <td>
                  <Badge value={d.disabled_at === null ? 'active' : 'disabled'} />
                </td>
                <td>
                  <Time value={d.created_at} />
                </td>
                <td>
                  <DestinationActions destination={d} onChange={() => void list.reload()} />
                </td>
              </tr>
            ))}
            {data !== null && data.models.length === 0 ? (
              <tr>
                <td colSpan={5} class="empty">
                  No destinations yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <Pager
        onNewer={data?.pagination.prev ? () => navigate(`/destinations${qs({ prev: data.pagination.prev })}`) : null}
        onOlder={data?.pagination.next ? () => navigate(`/destinations${qs({ next: data.pagination.next })}`) : null}
      />
    </Page>
  );
}

export function DestinationPage({ id }: { id: string }) {
  const destination = useLoad(() => get<Destination>(`/destinations/${encodeURIComponent(id)}`), id);
  const data = destination.data;
  return (
    <Page title={data === null ? 'Destination' : `Destination ${data.name}`}>
      <p>
        <Link to="/destinations">← All destinations</Link> · <Link to={`/events${qs({ destination_id: id })}`}>Its events</Link> ·{' '}
        <Link to={`/connections${qs({ destination_id: id })}`}>Its connections</Link>
      </p>
      <ErrorMessage error={destination.error} />
      {data === null ? null : (
        <>
          <dl class="facts card">
            <dt>Status</dt>
            <dd>
              <Badge value={data.disabled_at === null ? 'active' : 'disabled'} />
            </dd>
            <dt>Id</dt>
            <dd>
              <code>{data.id}</code>
            </dd>
          </dl>
          <DestinationActions destination={data} onChange={(next) => (next === null ? navigate('/destinations') : destination.setData(next))} />
          <h2>Settings</h2>
          <DestinationForm destination={data} onSaved={destination.setData} key={data.updated_at} />
        </>
      )}
    </Page>
  );
}
