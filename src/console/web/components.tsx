/**
 * The console's building blocks: data loading, page frame, status badges, times, pagination, copy, JSON, notices
 * (announced to screen readers through one live region) and a confirmation dialog (the native <dialog>, which
 * traps focus and closes on Escape).
 */
import type { ComponentChildren, InputHTMLAttributes, SelectHTMLAttributes, TextareaHTMLAttributes } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

// ------------------------------------------------------------------ data loading

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (data: T) => void;
}

/** Loads with `load` whenever `key` changes; keeps the previous data while reloading (no flicker). */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const reload = useCallback(async () => {
    const ticket = ++latest.current;
    setLoading(true);
    try {
      const value = await loader.current();
      if (ticket !== latest.current) return;
      setData(value);
      setError(null);
    } catch (caught) {
      if (ticket !== latest.current) return;
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [key, reload]);
  return { data, error, loading, reload, setData };
}

/** Runs `tick` every `ms` while `active`, never twice at once, paused while the tab is hidden. */
export function useInterval(tick: () => Promise<void> | void, ms: number, active: boolean): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (!active) return undefined;
    let running = false;
    const id = window.setInterval(() => {
      if (running || document.hidden) return;
      running = true;
      void Promise.resolve(saved.current()).finally(() => {
        running = false;
      });
    }, ms);
    return () => window.clearInterval(id);
  }, [ms, active]);
}

// ------------------------------------------------------------------ notices

type Notice = { id: number; text: string; kind: 'ok' | 'error' };
let notices: Notice[] = [];
let noticeListener: (list: Notice[]) => void = () => undefined;
let nextNotice = 1;

/** Shows a short message (and announces it to screen readers). */
export function notify(text: string, kind: 'ok' | 'error' = 'ok'): void {
  const notice = { id: nextNotice++, text, kind };
  notices = [...notices, notice].slice(-4);
  noticeListener(notices);
  window.setTimeout(() => {
    notices = notices.filter((n) => n.id !== notice.id);
    noticeListener(notices);
  }, 6000);
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError || error instanceof Error) return error.message;
  return String(error);
}

/** The live region: one per app. */
export function Notices() {
  const [list, setList] = useState<Notice[]>(notices);
  useEffect(() => {
    noticeListener = setList;
    return () => {
      noticeListener = () => undefined;
    };
  }, []);
  return (
    <div class="notices" role="status" aria-live="polite">
      {list.map((n) => (
        <p key={n.id} class={`notice notice-${n.kind}`}>
          {n.text}
        </p>
      ))}
    </div>
  );
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

// ------------------------------------------------------------------ page frame

/** A page: its heading gets the focus when the page opens, so keyboard and screen-reader users start there. */
export function Page({ title, actions, children }: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Sluice console`;
    heading.current?.focus();
  }, [title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-header">
        <h1 id="page-title" tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {actions === undefined ? null : <div class="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

// ------------------------------------------------------------------ small displays

const STATUS_CLASS: Record<string, string> = {
  SUCCESSFUL: 'ok',
  success: 'ok',
  active: 'ok',
  FAILED: 'bad',
  failure: 'bad',
  CANCELLED: 'muted',
  inactive: 'muted',
  disabled: 'muted',
  HOLD: 'warn',
  paused: 'warn',
  QUEUED: 'info',
  SCHEDULED: 'info',
  pending: 'info',
};

export function Badge({ value }: { value: string }) {
  return <span class={`badge badge-${STATUS_CLASS[value] ?? 'info'}`}>{value}</span>;
}

export function formatTime(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function Time({ value }: { value: string | null }) {
  if (value === null) return <span>—</span>;
  return (
    <time dateTime={value} title={value}>
      {formatTime(value)}
    </time>
  );
}

/** Pretty JSON (or text as it is). */
export function Json({ value, label }: { value: unknown; label: string }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return (
    <pre class="json" tabIndex={0} aria-label={label}>
      <code>{text ?? 'null'}</code>
    </pre>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard permission (plain http on another host): select the text instead, for Ctrl+C.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    notify(`Copied the ${label}`);
    window.setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" class="button-small" onClick={() => void copy()} aria-label={`Copy ${label}`}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

/** Older/newer page buttons for cursor lists. */
export function Pager({ onNewer, onOlder, summary }: { onNewer: (() => void) | null; onOlder: (() => void) | null; summary?: string }) {
  return (
    <nav class="pager" aria-label="Pagination">
      <button type="button" onClick={onNewer ?? undefined} disabled={onNewer === null}>
        ← Newer
      </button>
      {summary === undefined ? null : <span>{summary}</span>}
      <button type="button" onClick={onOlder ?? undefined} disabled={onOlder === null}>
        Older →
      </button>
    </nav>
  );
}

// ------------------------------------------------------------------ actions

/** Runs an action, shows its outcome; the button is busy while it runs. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<unknown>, done?: string): Promise<boolean> => {
    setBusy(true);
    try {
      await action();
      if (done !== undefined) notify(done);
      return true;
    } catch (error) {
      notify(errorText(error), 'error');
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, run };
}

/** A button that asks first, in a modal dialog. */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  danger = false,
  disabled = false,
}: {
  label: string;
  question: string;
  confirmLabel?: string;
  onConfirm: () => void;
  danger?: boolean;
  disabled?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const open = () => dialog.current?.showModal();
  const close = () => dialog.current?.close();
  return (
    <>
      <button type="button" class={danger ? 'button-danger' : undefined} onClick={open} disabled={disabled}>
        {label}
      </button>
      <dialog ref={dialog} aria-label={label}>
        <p>{question}</p>
        <div class="dialog-actions">
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button
            type="button"
            class={danger ? 'button-danger' : 'button-primary'}
            onClick={() => {
              close();
              onConfirm();
            }}
          >
            {confirmLabel ?? label}
          </button>
        </div>
      </dialog>
    </>
  );
}

// ------------------------------------------------------------------ forms

let fieldCounter = 0;
/** A stable unique id for a label/input pair. */
export function useFieldId(prefix: string): string {
  const id = useRef<string | null>(null);
  id.current ??= `${prefix}-${++fieldCounter}`;
  return id.current;
}

type InputProps = InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: string };

/** A labelled input (with its hint tied by aria-describedby). */
export function Field({ label, hint, ...input }: InputProps) {
  const id = useFieldId('field');
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} aria-describedby={hint === undefined ? undefined : hintId} {...input} />
      {hint === undefined ? null : (
        <small id={hintId} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

type TextAreaProps = TextareaHTMLAttributes<HTMLTextAreaElement> & { label: string; hint?: string };

export function TextArea({ label, hint, ...area }: TextAreaProps) {
  const id = useFieldId('area');
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea id={id} aria-describedby={hint === undefined ? undefined : hintId} {...area} />
      {hint === undefined ? null : (
        <small id={hintId} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

type SelectProps = SelectHTMLAttributes<HTMLSelectElement> & { label: string; options: { value: string; label: string }[]; hint?: string };

/** A labelled select; `defaultValue` (uncontrolled) marks the option selected at first render. */
export function Select({ label, options, hint, defaultValue, ...select }: SelectProps) {
  const id = useFieldId('select');
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} aria-describedby={hint === undefined ? undefined : hintId} {...select}>
        {options.map((o) => (
          <option key={o.value} value={o.value} selected={defaultValue === undefined ? undefined : defaultValue === o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {hint === undefined ? null : (
        <small id={hintId} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/** The value of a form control by name (forms are read at submit, not kept in state key by key). */
export function formValue(form: HTMLFormElement, name: string): string {
  const element = form.elements.namedItem(name);
  if (element instanceof HTMLInputElement || element instanceof HTMLSelectElement || element instanceof HTMLTextAreaElement) {
    return element.value.trim();
  }
  return '';
}

export function formChecked(form: HTMLFormElement, name: string): string[] {
  return Array.from(form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)).map((input) => input.value);
}

/** Parses a JSON text field; throws a message that names the field. */
export function parseJsonField(label: string, text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${label} must be valid JSON.`);
  }
}
