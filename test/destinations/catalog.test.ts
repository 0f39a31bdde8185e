import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DESTINATION_TYPES, findDestinationType } from '../../src/destinations/catalog.js';

describe('destination catalog', () => {
  it('has the eight types of seed 000, each findable by its identifier', () => {
    assert.deepEqual(DESTINATION_TYPES.map((t) => t.type).sort(), ['aws_kinesis', 'aws_s3', 'aws_sqs', 'azure_servicebus', 'gcp_pubsub', 'hookdeck', 'rabbitmq', 'webhook']);
    for (const type of DESTINATION_TYPES) assert.equal(findDestinationType(type.type), type);
    assert.equal(findDestinationType('HTTP'), undefined);
    assert.equal(findDestinationType('__proto__'), undefined);
  });

  it('describes every field for a form: credentials sensitive, config not, keys unique', () => {
    for (const type of DESTINATION_TYPES) {
      assert.ok(type.label !== '' && type.description !== '', type.type);
      const keys = [...type.configFields, ...type.credentialFields].map((f) => f.key);
      assert.equal(new Set(keys).size, keys.length, `${type.type}: a key is both config and credential`);
      for (const field of type.configFields) assert.equal(field.sensitive, false, `${type.type}.${field.key}`);
      for (const field of type.credentialFields.filter((f) => f.type === 'secret')) assert.equal(field.sensitive, true, `${type.type}.${field.key}`);
      for (const field of type.configFields.filter((f) => f.required)) assert.ok(field.default === undefined, `${type.type}.${field.key}`);
    }
  });
});
