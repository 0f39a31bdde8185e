/**
 * Sources (/sources): where third parties send webhooks. List (pages of 50 with the API's cursors), create, edit
 * (methods, verification, rate limit), disable/enable, delete; each shows its ingest URL with a copy button.
 */
import { useState } from 'preact/hooks';
import { del, get, post, put, qs, type ManagementList, type Source } from '../api';
import {
  Badge,
  ConfirmButton,
  CopyButton,
  ErrorMessage,
  Field,
  formChecked,
  formValue,
  Page,
  Pager,
  Time,
  useAction,
  useLoad,
} from '../components';
import { forgetLookups } from '../lookups';
import { Link, navigate, useLocation } from '../router';
import { RateLimitFields, settingsBody, VerificationFields } from './sourceSettings';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const DEFAULT_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

function SourceForm({ source, onSaved }: { source: Source | null; onSaved: (source: Source) => void }) {
  const { busy, run } = useAction();
  const [error, setError] = useState<unknown>(null);
  const methods = source?.config.allowed_http_methods ?? DEFAULT_METHODS;
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const body = {
      name: formValue(form, 'name'),
      description: formValue(form, 'description') || null,
      config: { allowed_http_methods: formChecked(form, 'methods'), ...settingsBody(form) },
    };
    void run(async () => {
      try {
        const saved = source === null ? await post<Source>('/sources', body) : await put<Source>(`/sources/${source.id}`, body);
        setError(null);
        forgetLookups();
        onSaved(saved);
      } catch (caught) {
        setError(caught);
        throw caught;
      }
    }, source === null ? 'Source created' : 'Source saved');
  };
  return (
    <form class="card form" onSubmit={submit} aria-label={source === null ? 'New source' : 'Edit source'}>
      <Field label="Name" name="name" required pattern="[A-Za-z0-9_\-]+" maxLength={155} defaultValue={source?.name} hint="Letters, digits, _ and -" />
      <Field label="Description" name="description" defaultValue={source?.description ?? ''} maxLength={1000} />
      <fieldset>
        <legend>Allowed HTTP methods</legend>
        {METHODS.map((method) => (
          <label key={method} class="check">
            <input type="checkbox" name="methods" value={method} defaultChecked={methods.includes(method)} /> {method}
          </label>
        ))}
      </fieldset>
      <VerificationFields source={source} />
      <RateLimitFields source={source} />
      <ErrorMessage error={error} />
      <button type="submit" class="button-primary" disabled={busy}>
        {source === null ? 'Create source' : 'Save'}
      </button>
    </form>
  );
}

function SourceActions({ source, onChange }: { source: Source; onChange: (source: Source | null) => void }) {
  const { busy, run } = useAction();
  const toggle = () =>
    run(async () => onChange(await put<Source>(`/sources/${source.id}/${source.disabled_at === null ? 'disable' : 'enable'}`)), source.disabled_at === null ? 'Source disabled' : 'Source enabled');
  const remove = () =>
    run(async () => {
      await del(`/sources/${source.id}`);
      forgetLookups();
      onChange(null);
    }, 'Source deleted');
  return (
    <div class="row-actions">
      <button type="button" onClick={() => void toggle()} disabled={busy}>
        {source.disabled_at === null ? 'Disable' : 'Enable'}
      </button>
      <ConfirmButton
        label="Delete"
        danger
        question={`Delete source ${source.name}? Its connections are deleted too, and their pending events cancelled.`}
        onConfirm={() => void remove()}
        disabled={busy}
      />
    </div>
  );
}

export function IngestUrl({ url }: { url: string }) {
  return (
    <span class="ingest">
      <code>{url}</code> <CopyButton text={url} label="ingest URL" />
    </span>
  );
}

export function SourcesPage() {
  const location = useLocation();
  const cursor = { next: location.query.get('next'), prev: location.query.get('prev') };
  const list = useLoad(() => get<ManagementList<Source>>(`/sources${qs({ limit: 50, ...cursor })}`), location.query.toString());
  // A new form after each creation: its type-dependent verification fields start again from "None".
  const [created, setCreated] = useState(0);
  const data = list.data;
  return (
    <Page title="Sources">
      <details class="create">
        <summary>New source</summary>
        <SourceForm
          key={created}
          source={null}
          onSaved={() => {
            setCreated((n) => n + 1);
            void list.reload();
          }}
        />
      </details>
      <ErrorMessage error={list.error} />
      <div class="table-wrap">
        <table>
          <caption>Sources</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Ingest URL</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(data?.models ?? []).map((source) => (
              <tr key={source.id}>
                <td>
                  <Link to={`/sources/${source.id}`}>{source.name}</Link>
                </td>
                <td>
                  <IngestUrl url={source.url} />
                </td>
                <td>
                  <Badge value={source.disabled_at === null ? 'active' : 'disabled'} />
                </td>
                <td>
                  <Time value={source.created_at} />
                </td>
                <td>
                  <SourceActions source={source} onChange={() => void list.reload()} />
                </td>
              </tr>
            ))}
            {data !== null && data.models.length === 0 ? (
              <tr>
                <td colSpan={5} class="empty">
                  No sources yet: create one above, then point a webhook sender at its ingest URL.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <Pager
        onNewer={data?.pagination.prev ? () => navigate(`/sources${qs({ prev: data.pagination.prev })}`) : null}
        onOlder={data?.pagination.next ? () => navigate(`/sources${qs({ next: data.pagination.next })}`) : null}
      />
    </Page>
  );
}

export function SourcePage({ id }: { id: string }) {
  const source = useLoad(() => get<Source>(`/sources/${encodeURIComponent(id)}`), id);
  const data = source.data;
  return (
    <Page title={data === null ? 'Source' : `Source ${data.name}`}>
      <p>
        <Link to="/sources">← All sources</Link> · <Link to={`/events${qs({ source_id: id })}`}>Its events</Link> ·{' '}
        <Link to={`/connections${qs({ source_id: id })}`}>Its connections</Link>
      </p>
      <ErrorMessage error={source.error} />
      {data === null ? null : (
        <>
          <dl class="facts card">
            <dt>Ingest URL</dt>
            <dd>
              <IngestUrl url={data.url} />
            </dd>
            <dt>Status</dt>
            <dd>
              <Badge value={data.disabled_at === null ? 'active' : 'disabled'} />
            </dd>
            <dt>Id</dt>
            <dd>
              <code>{data.id}</code>
            </dd>
          </dl>
          <SourceActions source={data} onChange={(next) => (next === null ? navigate('/sources') : source.setData(next))} />
          <h2>Settings</h2>
          <SourceForm source={data} onSaved={source.setData} key={data.updated_at} />
        </>
      )}
    </Page>
  );
}
