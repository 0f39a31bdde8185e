import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeyTemplate, renderKeyTemplate } from '../../src/domain/keyTemplate.js';

const event = { eventId: 'evt_1', eventType: 'task_run.completed', createdAt: Date.parse('2025-01-05T09:04:03.120Z'), data: { customer: { id: 'cus_9', n: 3 }, flag: true, list: [1] } };

describe('key templates', () => {
  it('renders event variables, UTC date parts and data paths', () => {
    assert.equal(renderKeyTemplate(parseKeyTemplate('{event_type}/{event_id}.json'), event), 'task_run.completed/evt_1.json');
    assert.equal(renderKeyTemplate(parseKeyTemplate('{year}/{month}/{day}/{hour}{minute}/{date}/{created_at}'), event), '2025/01/05/0904/2025-01-05/2025-01-05T09:04:03.120Z');
    assert.equal(renderKeyTemplate(parseKeyTemplate('c-{data.customer.id}-{data.customer.n}-{ data.flag }'), event), 'c-cus_9-3-true');
    assert.equal(renderKeyTemplate(parseKeyTemplate('plain'), event), 'plain');
    assert.equal(parseKeyTemplate('{data.a}').readsData, true);
    assert.equal(parseKeyTemplate('{event_id}').readsData, false);
  });

  it('refuses unknown variables and unbalanced braces', () => {
    assert.throws(() => parseKeyTemplate('{nope}'), /unknown variable \{nope\}/);
    assert.throws(() => parseKeyTemplate('{event_id'), /without a matching "}"/);
    assert.throws(() => parseKeyTemplate('event_id}'), /without a matching "\{"/);
    assert.throws(() => parseKeyTemplate('{data.a..b}'), /bad data path/);
    assert.throws(() => parseKeyTemplate('{data.__proto__ x}'), /bad data path/);
  });

  it('fails to render a data path the event lacks, or one that is not a scalar', () => {
    assert.throws(() => renderKeyTemplate(parseKeyTemplate('{data.customer.missing}'), event), /not in the event/);
    assert.throws(() => renderKeyTemplate(parseKeyTemplate('{data.customer}'), event), /not a string/);
    assert.equal(renderKeyTemplate(parseKeyTemplate('{data.list.0}'), event), '1');
    assert.throws(() => renderKeyTemplate(parseKeyTemplate('{data.constructor}'), event), /not in the event/);
  });
});
