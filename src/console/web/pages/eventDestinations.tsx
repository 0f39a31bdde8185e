/**
 * Event destinations (/v2/event-destinations, the outbound face): list, create and edit with forms built from
 * `GET /v2/destination-types` (each field's type, required, sensitive → a password input whose masked value is never
 * sent back), activate/deactivate, delete, and the destination's deliveries (filterable by status and event type)
 * with their attempts and a Retry action.
 */
import { useState } from 'preact/hooks';
import {
  del,
  get,
  patch,
  post,
  qs,
  type Delivery,
  type DestinationField,
  type DestinationType,
  type EventDestination,
  type V2List,
} from '../api';
import { Badge, ConfirmButton, ErrorMessage, Field, formValue, Json, notify, Page, Pager, Select, TextArea, Time, useAction, useLoad } from '../components';
import { Link, navigate, useLocation } from '../router';

let typesCache: Promise<DestinationType[]> | null = null;
function loadTypes(): Promise<DestinationType[]> {
  typesCache ??= get<V2List<DestinationType>>('/v2/destination-types').then((answer) => answer.data);
  typesCache.catch(() => {
    typesCache = null;
  });
  return typesCache;
}

/** The `<type>` object of a destination: its config values and masked credentials. */
function settingsOf(destination: EventDestination | null): Record<string, unknown> {
  if (destination === null) return {};
  const value = destination[destination.type];
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** A stored value as an input's text. */
function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function fieldInput(field: DestinationField, current: unknown, editing: boolean) {
  const name = `f_${field.key}`;
  const label = `${field.label}${field.required ? '' : ' (optional)'}`;
  const hint = field.description;
  if (field.sensitive || field.type === 'secret') {
    const masked = typeof current === 'string' ? current : '';
    return (
      <Field
        key={field.key}
        label={label}
        name={name}
        type="password"
        autoComplete="new-password"
        required={field.required && !editing}
        placeholder={editing && masked !== '' ? `unchanged (${masked})` : ''}
        hint={hint}
      />
    );
  }
  const initial = current ?? field.default;
  switch (field.type) {
    case 'boolean':
      return (
        <div class="field" key={field.key}>
          <label class="check">
            <input type="checkbox" name={name} defaultChecked={initial === true} aria-describedby={`${name}-hint`} /> {field.label}
          </label>
          <small class="hint" id={`${name}-hint`}>
            {hint}
          </small>
        </div>
      );
    case 'select':
      return (
        <Select
          key={field.key}
          label={label}
          name={name}
          required={field.required}
          defaultValue={asText(initial)}
          options={[...(field.required ? [] : [{ value: '', label: '—' }]), ...(field.options ?? []).map((o) => ({ value: o, label: o }))]}
          hint={hint}
        />
      );
    case 'json':
      return (
        <TextArea
          key={field.key}
          label={`${label} (JSON)`}
          name={name}
          rows={3}
          required={field.required}
          defaultValue={initial === undefined || initial === null ? '' : JSON.stringify(initial, null, 2)}
          hint={hint}
        />
      );
    case 'number':
      return <Field key={field.key} label={label} name={name} type="number" step="any" required={field.required} defaultValue={asText(initial)} hint={hint} />;
    case 'url':
      return <Field key={field.key} label={label} name={name} type="url" required={field.required} defaultValue={asText(initial)} hint={hint} />;
    default:
      return (
        <Field
          key={field.key}
          label={label}
          name={name}
          type="text"
          required={field.required}
          defaultValue={asText(initial)}
          hint={hint}
        />
      );
  }
}

/** The `<type>` object to send: every non-sensitive field as typed (empty optional ones left out), secrets only when typed. */
function readSettings(form: HTMLFormElement, type: DestinationType, editing: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of [...type.config_fields, ...type.credential_fields]) {
    const name = `f_${field.key}`;
    if (field.type === 'boolean') {
      const box = form.elements.namedItem(name) as HTMLInputElement | null;
      if (box !== null && (box.checked || editing)) {
        // Write-only switches (rotate_secret) are sent only when ticked.
        if (box.checked || field.key !== 'rotate_secret') out[field.key] = box.checked;
      }
      continue;
    }
    const text = formValue(form, name);
    if (text === '') continue;
    if (field.type === 'json') {
      try {
        out[field.key] = JSON.parse(text) as unknown;
      } catch {
        throw new Error(`${field.label} must be valid JSON.`);
      }
    } else if (field.type === 'number') out[field.key] = Number(text);
    else out[field.key] = text;
  }
  return out;
}

function EventDestinationForm({ destination, onSaved }: { destination: EventDestination | null; onSaved: (d: EventDestination) => void }) {
  const types = useLoad(loadTypes, 'types');
  const [typeName, setTypeName] = useState(destination?.type ?? '');
  const { busy, run } = useAction();
  const [error, setError] = useState<unknown>(null);
  const type = types.data?.find((t) => t.type === typeName) ?? null;
  const editing = destination !== null;
  const current = settingsOf(destination);
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    if (type === null) return;
    void run(async () => {
      try {
        const events = formValue(form, 'events')
          .split(',')
          .map((e) => e.trim())
          .filter((e) => e !== '');
        const timeout = formValue(form, 'timeout');
        const body: Record<string, unknown> = {
          name: formValue(form, 'name'),
          events,
          timeout: timeout === '' ? null : Number(timeout),
          [type.type]: readSettings(form, type, editing),
        };
        const saved = editing ? await patch<EventDestination>(`/v2/event-destinations/${destination.id}`, body) : await post<EventDestination>('/v2/event-destinations', { ...body, type: type.type });
        setError(null);
        onSaved(saved);
      } catch (caught) {
        setError(caught);
        throw caught;
      }
    }, editing ? 'Event destination saved' : 'Event destination created');
  };
  return (
    <form class="card form" onSubmit={submit} aria-label={editing ? 'Edit event destination' : 'New event destination'}>
      <ErrorMessage error={types.error} />
      <Select
        label="Type"
        name="type"
        required
        disabled={editing}
        value={typeName}
        onChange={(e) => setTypeName((e.currentTarget).value)}
        options={[{ value: '', label: 'Choose a type' }, ...(types.data ?? []).map((t) => ({ value: t.type, label: t.label }))]}
        hint={type?.description}
      />
      <Field label="Name" name="name" required maxLength={255} defaultValue={destination?.name} />
      <Field label="Events" name="events" required defaultValue={destination?.events.join(', ') ?? '*'} hint='Comma-separated: "*" for all, exact types, or "prefix.*"' />
      <Field
        label="Timeout (ms)"
        name="timeout"
        type="number"
        min={100}
        max={300000}
        defaultValue={destination === null || destination.timeout === null ? '' : String(destination.timeout)}
        hint="How long an attempt may take, whatever the type; empty: the gateway's default (5000)"
      />
      {type === null ? null : (
        <>
          <fieldset key={`${type.type}-config`}>
            <legend>{type.label} settings</legend>
            {type.config_fields.map((field) => fieldInput(field, current[field.key], editing))}
          </fieldset>
          {type.credential_fields.length === 0 ? null : (
            <fieldset key={`${type.type}-credentials`}>
              <legend>Credentials</legend>
              {editing ? <p class="hint">Stored encrypted and shown masked; leave a field empty to keep its value.</p> : null}
              {type.credential_fields.map((field) => fieldInput(field, current[field.key], editing))}
            </fieldset>
          )}
        </>
      )}
      <ErrorMessage error={error} />
      <button type="submit" class="button-primary" disabled={busy || type === null}>
        {editing ? 'Save' : 'Create event destination'}
      </button>
    </form>
  );
}

export function EventDestinationsPage() {
  const location = useLocation();
  const cursor = location.query.get('cursor');
  const list = useLoad(() => get<V2List<EventDestination>>(`/v2/event-destinations${qs({ limit: 50, cursor })}`), location.query.toString());
  const data = list.data;
  return (
    <Page
      title="Event destinations"
      actions={
        <Link to="/event-destinations/new" class="button button-primary">
          New event destination
        </Link>
      }
    >
      <p class="hint">Where your platform's published events (POST /v2/events) are delivered: webhooks, queues, buckets and streams.</p>
      <ErrorMessage error={list.error} />
      <div class="table-wrap">
        <table>
          <caption>Event destinations</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Events</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {(data?.data ?? []).map((d) => (
              <tr key={d.id}>
                <td>
                  <Link to={`/event-destinations/${d.id}`}>{d.name}</Link>
                </td>
                <td>{d.type}</td>
                <td>{d.events.join(', ')}</td>
                <td>
                  <Badge value={d.status} />
                </td>
                <td>
                  <Time value={d.created_at} />
                </td>
              </tr>
            ))}
            {data !== null && data.data.length === 0 ? (
              <tr>
                <td colSpan={5} class="empty">
                  No event destinations yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <Pager
        onNewer={cursor !== null ? () => window.history.back() : null}
        onOlder={data?.next_cursor ? () => navigate(`/event-destinations${qs({ cursor: data.next_cursor })}`) : null}
      />
    </Page>
  );
}

export function NewEventDestinationPage() {
  return (
    <Page title="New event destination">
      <p>
        <Link to="/event-destinations">← All event destinations</Link>
      </p>
      <EventDestinationForm destination={null} onSaved={(d) => navigate(`/event-destinations/${d.id}`)} />
    </Page>
  );
}

const DELIVERY_STATUSES = [
  { value: '', label: 'Any status' },
  { value: 'success', label: 'success' },
  { value: 'failure', label: 'failure' },
  { value: 'pending', label: 'pending' },
];

function Deliveries({ destinationId }: { destinationId: string }) {
  const location = useLocation();
  const q = location.query;
  const status = q.get('status') ?? '';
  const type = q.get('type') ?? '';
  const cursor = q.get('cursor');
  const list = useLoad(
    () => get<V2List<Delivery>>(`/v2/event-destinations/${destinationId}/event-deliveries${qs({ status, type, cursor, limit: 25 })}`),
    q.toString(),
  );
  const { busy, run } = useAction();
  const retry = (delivery: Delivery) =>
    run(async () => {
      await post(`/v2/event-destinations/${destinationId}/event-deliveries/${delivery.id}/retry`);
      await list.reload();
    }, 'Delivery retried');
  const filter = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    navigate(`/event-destinations/${destinationId}${qs({ status: formValue(form, 'status'), type: formValue(form, 'type') })}`);
  };
  return (
    <>
      <form class="filters card" role="search" aria-label="Filter deliveries" onSubmit={filter} key={q.toString()}>
        <div class="filter-row">
          <Select label="Delivery status" name="status" options={DELIVERY_STATUSES} defaultValue={status} />
          <Field label="Event type" name="type" defaultValue={type} placeholder="task_run.completed" />
          <button type="submit">Filter</button>
        </div>
      </form>
      <ErrorMessage error={list.error} />
      <div class="table-wrap">
        <table>
          <caption>Deliveries</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Event</th>
              <th scope="col">Attempts</th>
              <th scope="col">Response</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.data ?? []).map((d) => (
              <tr key={d.id}>
                <td>
                  <Badge value={d.status} />
                </td>
                <td>
                  <code>{d.event_type}</code> <span class="muted">{d.event_id}</span>
                </td>
                <td>
                  <details>
                    <summary>{d.attempts.length}</summary>
                    <Json value={d.attempts} label={`Attempts of delivery ${d.id}`} />
                  </details>
                </td>
                <td>{d.response_status ?? d.error_code ?? '—'}</td>
                <td>
                  <Time value={d.created_at} />
                </td>
                <td>
                  <button type="button" onClick={() => void retry(d)} disabled={busy}>
                    Retry
                  </button>
                </td>
              </tr>
            ))}
            {list.data !== null && list.data.data.length === 0 ? (
              <tr>
                <td colSpan={6} class="empty">
                  No deliveries.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <Pager
        onNewer={cursor !== null ? () => window.history.back() : null}
        onOlder={list.data?.next_cursor ? () => navigate(`/event-destinations/${destinationId}${qs({ status, type, cursor: list.data?.next_cursor })}`) : null}
      />
    </>
  );
}

export function EventDestinationPage({ id }: { id: string }) {
  const destination = useLoad(() => get<EventDestination>(`/v2/event-destinations/${encodeURIComponent(id)}`), id);
  const { busy, run } = useAction();
  const data = destination.data;
  const toggle = () =>
    run(async () => {
      if (data === null) return;
      destination.setData(await patch<EventDestination>(`/v2/event-destinations/${id}`, { status: data.status === 'active' ? 'inactive' : 'active' }));
    }, data?.status === 'active' ? 'Deactivated' : 'Activated');
  const remove = () =>
    run(async () => {
      await del(`/v2/event-destinations/${id}`);
      notify('Event destination deleted');
      navigate('/event-destinations');
    });
  return (
    <Page title={data === null ? 'Event destination' : `Event destination ${data.name}`}>
      <p>
        <Link to="/event-destinations">← All event destinations</Link>
      </p>
      <ErrorMessage error={destination.error} />
      {data === null ? null : (
        <>
          <dl class="facts card">
            <dt>Type</dt>
            <dd>{data.type}</dd>
            <dt>Status</dt>
            <dd>
              <Badge value={data.status} />
            </dd>
            <dt>Events</dt>
            <dd>{data.events.join(', ')}</dd>
            <dt>Id</dt>
            <dd>
              <code>{data.id}</code>
            </dd>
          </dl>
          <div class="row-actions">
            <button type="button" onClick={() => void toggle()} disabled={busy}>
              {data.status === 'active' ? 'Deactivate' : 'Activate'}
            </button>
            <ConfirmButton label="Delete" danger question={`Delete ${data.name}? Its pending deliveries are cancelled.`} onConfirm={() => void remove()} disabled={busy} />
          </div>
          <h2>Deliveries</h2>
          <Deliveries destinationId={id} />
          <h2>Settings</h2>
          <EventDestinationForm destination={data} onSaved={destination.setData} key={data.updated_at} />
        </>
      )}
    </Page>
  );
}
