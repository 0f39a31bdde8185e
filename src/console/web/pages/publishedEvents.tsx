/**
 * Published events (GET /v2/events): what the platform published, newest first, filtered by type and time, in
 * pages of 25 with the API's cursor.
 */
import { get, qs, type PublishedEvent, type V2List } from '../api';
import { ErrorMessage, Field, formValue, Json, Page, Pager, Time, useLoad } from '../components';
import { navigate, useLocation } from '../router';

function iso(local: string): string | null {
  if (local === '') return null;
  const ms = new Date(local).getTime();
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export function PublishedEventsPage() {
  const location = useLocation();
  const q = location.query;
  const filter = { type: q.get('type') ?? '', after: q.get('after') ?? '', before: q.get('before') ?? '' };
  const cursor = q.get('cursor');
  const list = useLoad(
    () =>
      get<V2List<PublishedEvent>>(
        `/v2/events${qs({ type: filter.type, created_after: iso(filter.after), created_before: iso(filter.before), cursor, limit: 25 })}`,
      ),
    q.toString(),
  );
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    navigate(`/published-events${qs({ type: formValue(form, 'type'), after: formValue(form, 'after'), before: formValue(form, 'before') })}`);
  };
  return (
    <Page title="Published events">
      <form class="filters card" role="search" aria-label="Filter published events" onSubmit={submit} key={q.toString()}>
        <div class="filter-row">
          <Field label="Type" name="type" defaultValue={filter.type} placeholder="task_run.completed" hint="Comma-separated for several" />
          <Field label="Created after" name="after" type="datetime-local" step={1} defaultValue={filter.after} />
          <Field label="Created before" name="before" type="datetime-local" step={1} defaultValue={filter.before} />
          <button type="submit">Filter</button>
        </div>
      </form>
      <ErrorMessage error={list.error} />
      <div class="table-wrap">
        <table>
          <caption>Published events</caption>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Id</th>
              <th scope="col">Data</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.data ?? []).map((e) => (
              <tr key={e.id}>
                <td>
                  <code>{e.type}</code>
                </td>
                <td>{e.id}</td>
                <td>
                  <details>
                    <summary>data</summary>
                    <Json value={e.data} label={`Data of ${e.id}`} />
                  </details>
                </td>
                <td>
                  <Time value={e.created_at} />
                </td>
              </tr>
            ))}
            {list.data !== null && list.data.data.length === 0 ? (
              <tr>
                <td colSpan={4} class="empty">
                  No published events match.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <Pager
        onNewer={cursor !== null ? () => window.history.back() : null}
        onOlder={list.data?.next_cursor ? () => navigate(`/published-events${qs({ ...filter, cursor: list.data?.next_cursor })}`) : null}
      />
    </Page>
  );
}
