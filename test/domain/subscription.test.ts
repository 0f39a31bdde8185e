/** Event types and subscriptions: what the API accepts, and which events each pattern matches. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../src/domain/errors.js';
import { compileSubscription, isEventType, matchesSubscription, parseSubscription } from '../../src/domain/subscription.js';

test('event types are object.action: two or more dot-separated parts of a-z, 0-9 and _', () => {
  for (const ok of ['task_run.completed', 'credential.verified', 'invoice.line_item.created', 'a.b', 'v2.x_1']) assert.ok(isEventType(ok), ok);
  for (const bad of ['task_run', 'Task.Completed', 'task-run.completed', 'a..b', '.a.b', 'a.b.', 'a.*', '*', '', 'a b.c', `${'a'.repeat(200)}.b`]) {
    assert.ok(!isEventType(bad), bad);
  }
});

test('"*" matches every type', () => {
  const all = compileSubscription(['*']);
  for (const type of ['task_run.completed', 'destination.disabled', 'a.b.c']) assert.ok(all.matches(type));
});

test('exact types match only themselves', () => {
  const m = compileSubscription(['task_run.completed', 'credential.verified']);
  assert.ok(m.matches('task_run.completed'));
  assert.ok(m.matches('credential.verified'));
  assert.ok(!m.matches('task_run.failed'));
  assert.ok(!m.matches('task_run.completed.late'));
});

test('"prefix.*" matches every type under the prefix at any depth, and nothing else', () => {
  const m = compileSubscription(['task_run.*']);
  assert.ok(m.matches('task_run.completed'));
  assert.ok(m.matches('task_run.step.failed'));
  assert.ok(!m.matches('task_run'));
  assert.ok(!m.matches('task_runs.completed'), 'a longer object name is another object');
  assert.ok(!m.matches('credential.verified'));
  assert.ok(matchesSubscription(['invoice.line_item.*', 'credential.verified'], 'invoice.line_item.created'));
  assert.ok(!matchesSubscription(['invoice.line_item.*'], 'invoice.paid'));
});

function problemField(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SluiceError);
    assert.equal(error.code, 'VALIDATION_ERROR');
    const [problem] = error.data as { field: string }[];
    assert.ok(problem);
    return problem.field;
  }
  throw new Error('expected a validation error');
}

test('parseSubscription normalises and refuses bad lists, naming the field', () => {
  assert.deepEqual(parseSubscription(['*']), ['*']);
  assert.deepEqual(parseSubscription(['a.b', 'c.*', 'a.b']), ['a.b', 'c.*'], 'repeats are dropped, order kept');
  assert.equal(problemField(() => parseSubscription([])), 'events');
  assert.equal(problemField(() => parseSubscription('*')), 'events');
  assert.equal(problemField(() => parseSubscription(null)), 'events');
  assert.equal(problemField(() => parseSubscription(['*', 'a.b'])), 'events');
  assert.equal(problemField(() => parseSubscription(['a.b', 7])), 'events[1]');
  assert.equal(problemField(() => parseSubscription(['a.b', 'nodot'])), 'events[1]');
  assert.equal(problemField(() => parseSubscription(['a.**'])), 'events[0]');
  assert.equal(problemField(() => parseSubscription(['*.completed'])), 'events[0]');
  assert.equal(problemField(() => parseSubscription(['.*'])), 'events[0]');
  assert.equal(problemField(() => parseSubscription(Array.from({ length: 101 }, (_, i) => `a.b${i}`))), 'events');
});
