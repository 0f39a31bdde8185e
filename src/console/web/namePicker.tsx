/**
 * A type-ahead picker of a source or destination by name (the events filters, the connection form): suggestions are read from the API
 * as the user types (`name_contains`, 20 at a time), so any of a team's 10,000 sources can be picked, not only a
 * first page of them; a name typed out in full is also looked up exactly (`name`), so it is found even when more
 * than 20 names contain it. A native `<input list>` with a `<datalist>`: labelled, keyboard-usable, no custom
 * widget. It reports the text and the id it names (null while the text names nothing known yet).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, qs, type ManagementList } from './api';
import { useFieldId } from './components';

interface Named {
  id: string;
  name: string;
}

export interface Picked {
  text: string;
  /** '' when the text is empty; null while it names nothing found (yet). */
  id: string | null;
}

const SUGGESTIONS = 20;
const DEBOUNCE_MS = 150;

/** The id of the item named exactly `name` in `resource`, or null. */
export async function idNamed(resource: string, name: string): Promise<string | null> {
  const found = await get<ManagementList<Named>>(`${resource}${qs({ name, limit: 1 })}`);
  return found.models[0]?.id ?? null;
}

/**
 * The id a picker names: as picked, else looked up by exact name now; `initialId` when it was not touched; an
 * error when the name is unknown.
 */
export async function resolvePicked(picked: Picked | null, initialId: string, resource: string, what: string): Promise<string> {
  if (picked === null) return initialId;
  if (picked.id !== null) return picked.id;
  const id = await idNamed(resource, picked.text);
  if (id === null) throw new Error(`No ${what} is named "${picked.text}": type part of a name and pick one of the suggestions.`);
  return id;
}

export interface NamePickerProps {
  label: string;
  /** `/sources` or `/destinations`. */
  resource: string;
  /** The id chosen when the form opened ('' = none): its name is shown. */
  initialId: string;
  placeholder: string;
  /** Under the field; by default it says that an empty field means all (a filter). */
  hint?: string;
  required?: boolean;
  onChange: (picked: Picked) => void;
}

export function NamePicker({ label, resource, initialId, placeholder, hint = 'Type part of a name; empty: all', required = false, onChange }: NamePickerProps) {
  const id = useFieldId('picker');
  const [text, setText] = useState('');
  const [options, setOptions] = useState<Named[]>([]);
  const typed = useRef(0);

  useEffect(() => {
    if (initialId === '') return;
    let live = true;
    get<Named>(`${resource}/${encodeURIComponent(initialId)}`).then(
      (found) => live && typed.current === 0 && setText(found.name),
      () => live && typed.current === 0 && setText(initialId),
    );
    return () => {
      live = false;
    };
  }, [resource, initialId]);

  const search = (value: string) => {
    const turn = ++typed.current;
    setText(value);
    const query = value.trim();
    if (query === '') {
      setOptions([]);
      onChange({ text: '', id: '' });
      return;
    }
    onChange({ text: query, id: options.find((o) => o.name === query)?.id ?? null });
    window.setTimeout(() => {
      if (turn !== typed.current) return; // a newer keystroke will search
      Promise.all([get<ManagementList<Named>>(`${resource}${qs({ name_contains: query, limit: SUGGESTIONS })}`), idNamed(resource, query)]).then(
        ([containing, exact]) => {
          if (turn !== typed.current) return;
          setOptions(containing.models);
          onChange({ text: query, id: exact });
        },
        () => undefined, // the form resolves the name again on submit, and says so if it cannot
      );
    }, DEBOUNCE_MS);
  };

  const listId = `${id}-names`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="search"
        list={listId}
        autoComplete="off"
        value={text}
        placeholder={placeholder}
        required={required}
        aria-describedby={`${id}-hint`}
        onInput={(event) => search(event.currentTarget.value)}
      />
      <datalist id={listId}>
        {options.map((o) => (
          <option key={o.id} value={o.name} />
        ))}
      </datalist>
      <small id={`${id}-hint`} class="hint">
        {hint}
      </small>
    </div>
  );
}
