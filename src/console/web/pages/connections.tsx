/**
 * Connections (/connections): a source routed to a destination, with an optional retry rule. List (filterable by
 * source or destination), create, edit, pause/unpause and disable/enable (both hold pending events; undoing
 * delivers them), delete (cancels its pending events). The form edits the retry rule; filter, delay and
 * deduplicate rules (set through the API) are shown and sent back unchanged.
 */
import { useState } from 'preact/hooks';
import { del, get, post, put, qs, type Connection, type ManagementList, type RetryRule } from '../api';
import { Badge, ConfirmButton, ErrorMessage, Field, formValue, Page, Pager, Select, Time, useAction, useLoad } from '../components';
import { NamePicker, resolvePicked, type Picked } from '../namePicker';
import { Link, navigate, useLocation } from '../router';
import { IngestUrl } from './sources';

function statusOf(connection: Connection): string {
  if (connection.disabled_at !== null) return 'disabled';
  if (connection.paused_at !== null) return 'paused';
  return 'active';
}

function ruleFrom(form: HTMLFormElement): RetryRule[] | undefined {
  const strategy = formValue(form, 'strategy');
  if (strategy === '') return [];
  const codes = formValue(form, 'codes')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const rule: RetryRule = {
    type: 'retry',
    strategy: strategy as RetryRule['strategy'],
    interval: Math.round(Number(formValue(form, 'interval') || '30') * 1000),
    count: Number(formValue(form, 'count') || '10'),
  };
  if (codes.length > 0) rule.response_status_codes = codes;
  return [rule];
}

function ConnectionForm({ connection, onSaved }: { connection: Connection | null; onSaved: (c: Connection) => void }) {
  // Type-aheads over the API, so any of a team's sources and destinations can be chosen, not a first page of them.
  const [source, setSource] = useState<Picked | null>(null);
  const [destination, setDestination] = useState<Picked | null>(null);
  const { busy, run } = useAction();
  const [error, setError] = useState<unknown>(null);
  const rule = connection?.rules.find((r): r is RetryRule => r.type === 'retry');
  // The form edits the retry rule only: the connection's other rules (set through the API) are sent back as they are.
  const otherRules = connection?.rules.filter((r) => r.type !== 'retry') ?? [];
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    void run(async () => {
      try {
        const common = { name: formValue(form, 'name'), description: formValue(form, 'description') || null, rules: [...(ruleFrom(form) ?? []), ...otherRules] };
        const saved =
          connection === null
            ? await post<Connection>('/connections', {
                ...common,
                source_id: await resolvePicked(source, '', '/sources', 'source'),
                destination_id: await resolvePicked(destination, '', '/destinations', 'destination'),
              })
            : await put<Connection>(`/connections/${connection.id}`, common);
        setError(null);
        onSaved(saved);
      } catch (caught) {
        setError(caught);
        throw caught;
      }
    }, connection === null ? 'Connection created' : 'Connection saved');
  };
  return (
    <form class="card form" onSubmit={submit} aria-label={connection === null ? 'New connection' : 'Edit connection'}>
      <Field label="Name" name="name" required pattern="[A-Za-z0-9_\-]+" maxLength={155} defaultValue={connection?.name} hint="Letters, digits, _ and -" />
      <Field label="Description" name="description" defaultValue={connection?.description ?? ''} maxLength={1000} />
      {connection === null ? (
        <>
          <NamePicker label="Source" resource="/sources" initialId="" placeholder="Type a source's name" hint="Type part of its name and pick it" required onChange={setSource} />
          <NamePicker
            label="Destination"
            resource="/destinations"
            initialId=""
            placeholder="Type a destination's name"
            hint="Type part of its name and pick it"
            required
            onChange={setDestination}
          />
        </>
      ) : (
        <p>
          {connection.source.name} → {connection.destination.name} (to change them, create another connection)
        </p>
      )}
      <fieldset>
        <legend>Retry rule</legend>
        <Select
          label="Strategy"
          name="strategy"
          defaultValue={rule?.strategy ?? ''}
          options={[
            { value: '', label: "The gateway's default (10 retries, exponential from 30 s)" },
            { value: 'exponential', label: 'Exponential' },
            { value: 'linear', label: 'Linear' },
          ]}
        />
        <Field label="Interval (seconds)" name="interval" type="number" min={0.001} step="any" defaultValue={rule === undefined ? '30' : String(rule.interval / 1000)} />
        <Field label="Retries" name="count" type="number" min={0} max={100} defaultValue={rule === undefined ? '10' : String(rule.count)} />
        <Field
          label="Retry on statuses"
          name="codes"
          defaultValue={rule?.response_status_codes?.join(', ') ?? ''}
          hint='Comma-separated: "500-599", ">400", "!401"; empty = every non-2xx'
        />
      </fieldset>
      {otherRules.length > 0 ? (
        <p>
          Other rules, kept as they are (change them through the API): <code>{JSON.stringify(otherRules)}</code>
        </p>
      ) : null}
      <ErrorMessage error={error} />
      <button type="submit" class="button-primary" disabled={busy}>
        {connection === null ? 'Create connection' : 'Save'}
      </button>
    </form>
  );
}

function ConnectionActions({ connection, onChange }: { connection: Connection; onChange: (c: Connection | null) => void }) {
  const { busy, run } = useAction();
  const act = (action: string, done: string) => run(async () => onChange(await put<Connection>(`/connections/${connection.id}/${action}`)), done);
  const remove = () =>
    run(async () => {
      await del(`/connections/${connection.id}`);
      onChange(null);
    }, 'Connection deleted');
  return (
    <div class="row-actions">
      {connection.paused_at === null ? (
        <button type="button" onClick={() => void act('pause', 'Connection paused')} disabled={busy}>
          Pause
        </button>
      ) : (
        <button type="button" onClick={() => void act('unpause', 'Connection unpaused')} disabled={busy}>
          Unpause
        </button>
      )}
      {connection.disabled_at === null ? (
        <button type="button" onClick={() => void act('disable', 'Connection disabled')} disabled={busy}>
          Disable
        </button>
      ) : (
        <button type="button" onClick={() => void act('enable', 'Connection enabled')} disabled={busy}>
          Enable
        </button>
      )}
      <ConfirmButton
        label="Delete"
        danger
        question={`Delete connection ${connection.full_name}? Its pending events are cancelled.`}
        onConfirm={() => void remove()}
        disabled={busy}
      />
    </div>
  );
}

export function ConnectionsPage() {
  const location = useLocation();
  const q = location.query;
  const filter = { source_id: q.get('source_id'), destination_id: q.get('destination_id') };
  const list = useLoad(() => get<ManagementList<Connection>>(`/connections${qs({ limit: 50, ...filter, next: q.get('next'), prev: q.get('prev') })}`), q.toString());
  const data = list.data;
  // A new form after each create: its pickers hold their text as state, which form.reset() would not clear.
  const [created, setCreated] = useState(0);
  return (
    <Page title="Connections">
      <details class="create">
        <summary>New connection</summary>
        <ConnectionForm
          key={created}
          connection={null}
          onSaved={() => {
            setCreated((n) => n + 1);
            void list.reload();
          }}
        />
      </details>
      <ErrorMessage error={list.error} />
      <div class="table-wrap">
        <table>
          <caption>Connections{filter.source_id !== null || filter.destination_id !== null ? ' (filtered)' : ''}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Source → destination</th>
              <th scope="col">Ingest URL</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(data?.models ?? []).map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/connections/${c.id}`}>{c.name}</Link>
                </td>
                <td>
                  {c.source.name} → {c.destination.name}
                </td>
                <td>
                  <IngestUrl url={c.source.url} />
                </td>
                <td>
                  <Badge value={statusOf(c)} />
                </td>
                <td>
                  <Time value={c.created_at} />
                </td>
                <td>
                  <ConnectionActions connection={c} onChange={() => void list.reload()} />
                </td>
              </tr>
            ))}
            {data !== null && data.models.length === 0 ? (
              <tr>
                <td colSpan={6} class="empty">
                  No connections: create one to route a source's webhooks to a destination.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <Pager
        onNewer={data?.pagination.prev ? () => navigate(`/connections${qs({ ...filter, prev: data.pagination.prev })}`) : null}
        onOlder={data?.pagination.next ? () => navigate(`/connections${qs({ ...filter, next: data.pagination.next })}`) : null}
      />
    </Page>
  );
}

export function ConnectionPage({ id }: { id: string }) {
  const connection = useLoad(() => get<Connection>(`/connections/${encodeURIComponent(id)}`), id);
  const data = connection.data;
  return (
    <Page title={data === null ? 'Connection' : `Connection ${data.full_name}`}>
      <p>
        <Link to="/connections">← All connections</Link> · <Link to={`/events${qs({ source_id: data?.source.id, destination_id: data?.destination.id })}`}>Its events</Link>
      </p>
      <ErrorMessage error={connection.error} />
      {data === null ? null : (
        <>
          <dl class="facts card">
            <dt>Status</dt>
            <dd>
              <Badge value={statusOf(data)} />
            </dd>
            <dt>Source</dt>
            <dd>
              <Link to={`/sources/${data.source.id}`}>{data.source.name}</Link>
            </dd>
            <dt>Destination</dt>
            <dd>
              <Link to={`/destinations/${data.destination.id}`}>{data.destination.name}</Link>
            </dd>
            <dt>Ingest URL (all the source's connections)</dt>
            <dd>
              <IngestUrl url={data.source.url} />
            </dd>
            <dt>Created</dt>
            <dd>
              <Time value={data.created_at} />
            </dd>
          </dl>
          <ConnectionActions connection={data} onChange={(next) => (next === null ? navigate('/connections') : connection.setData(next))} />
          <h2>Settings</h2>
          <ConnectionForm connection={data} onSaved={connection.setData} key={data.updated_at} />
        </>
      )}
    </Page>
  );
}
