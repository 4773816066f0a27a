// Go's json.Unmarshal and time.Parse(RFC3339) errors, as upstream returns
// them for JSON held in annotations. The expected messages are what Go
// prints for the same input (Go 1.22; the time errors name what was left of
// the value when the element began, as Go does since 1.20).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type GoType, goJsonSyntaxError, goUnmarshal } from '../../server/api/kinds/go-json.js';
import { goTimeParseError } from '../../server/api/kinds/go-time.js';

const STRING: GoType = { kind: 'string', name: 'string' };
const TAINTS: GoType = {
  kind: 'slice',
  name: '[]core.Taint',
  elem: { kind: 'struct', name: 'core.Taint', fields: { Key: STRING, Value: STRING, Effect: { kind: 'string', name: 'core.TaintEffect' }, TimeAdded: { kind: 'pointer', elem: { kind: 'time' } } } },
};
const OWNER: GoType = { kind: 'struct', name: 'v1.OwnerReference', fields: { name: STRING, controller: { kind: 'pointer', elem: { kind: 'bool' } } } };
const HOLDER: GoType = { kind: 'struct', name: 'v1.Holder', fields: { owners: { kind: 'slice', name: '[]v1.OwnerReference', elem: OWNER }, owner: { kind: 'pointer', elem: OWNER } } };

describe("Go's scanner", () => {
  test('truncated input, and each place a wrong byte can be', () => {
    const cases: [string, string | undefined][] = [
      ['', 'unexpected end of JSON input'],
      [' ', 'unexpected end of JSON input'],
      ['[{"key":"a",', 'unexpected end of JSON input'],
      ['[{"key":"a"}] \t\n', undefined],
      ['x', "invalid character 'x' looking for beginning of value"],
      ['[{"key":"a"}]x', "invalid character 'x' after top-level value"],
      ['[1.]', "invalid character ']' after decimal point in numeric literal"],
      ['[1.5e]', "invalid character ']' in exponent of numeric literal"],
      ['[1.5e+]', "invalid character ']' in exponent of numeric literal"],
      ['[-a]', "invalid character 'a' in numeric literal"],
      ['[01]', "invalid character '1' after array element"],
      ['[trux]', "invalid character 'x' in literal true (expecting 'e')"],
      ['[fals]', "invalid character ']' in literal false (expecting 'e')"],
      ['[nul]', "invalid character ']' in literal null (expecting 'l')"],
      ['["a\\x"]', "invalid character 'x' in string escape code"],
      ['["a\\u12g4"]', "invalid character 'g' in \\u hexadecimal character escape"],
      ['["a\nb"]', "invalid character '\\n' in string literal"],
      ["['a']", "invalid character '\\'' looking for beginning of value"],
      ['[{"key":"a"},]', "invalid character ']' looking for beginning of value"],
      ['{,}', "invalid character ',' looking for beginning of object key string"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['{"a":1 "b"}', `invalid character '"' after object key:value pair`],
      ['[1 2]', "invalid character '2' after array element"],
      ['é', "invalid character 'Ã' looking for beginning of value"],
      ['[\u0080]', "invalid character 'Â' looking for beginning of value"],
    ];
    for (const [text, error] of cases) assert.equal(goJsonSyntaxError(text), error, JSON.stringify(text));
  });
});

describe('decoding into a Go type', () => {
  test('a value of the wrong JSON type is named with the struct field it was met in; the first one counts', () => {
    const error = (text: string, type: GoType = TAINTS) => goUnmarshal(text, type).error;
    assert.equal(error('{"a":1}'), 'json: cannot unmarshal object into Go value of type []core.Taint');
    assert.equal(error('true'), 'json: cannot unmarshal bool into Go value of type []core.Taint');
    assert.equal(error('["x"]'), 'json: cannot unmarshal string into Go value of type core.Taint');
    assert.equal(error('[null]'), undefined);
    assert.equal(error('null'), undefined);
    assert.equal(error('[{"key":1,"value":2}]'), 'json: cannot unmarshal number into Go struct field Taint.Key of type string');
    assert.equal(error('[{"KEY":"a","effect":[]}]'), 'json: cannot unmarshal array into Go struct field Taint.Effect of type core.TaintEffect');
    assert.equal(error('[{"key":"x","unknown":5}]'), undefined);
    assert.equal(error('{"owners":[{"controller":"yes"}]}', HOLDER), 'json: cannot unmarshal string into Go struct field OwnerReference.owners.controller of type bool');
    assert.equal(error('{"owners":["x"]}', HOLDER), 'json: cannot unmarshal string into Go struct field Holder.owners of type v1.OwnerReference');
    assert.equal(error('{"owner":5}', HOLDER), 'json: cannot unmarshal number into Go struct field Holder.owner of type v1.OwnerReference');
  });

  test('metav1.Time: a string, parsed as RFC 3339; its errors end the decoding', () => {
    const error = (text: string) => goUnmarshal(text, TAINTS).error;
    assert.equal(error('[{"timeAdded":5}]'), 'json: cannot unmarshal number into Go struct field Taint.TimeAdded of type string');
    assert.equal(error('[{"timeAdded":"x"}]'), 'parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"');
    assert.equal(error('[{"key":1},{"timeAdded":"x"}]'), 'parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"');
    assert.equal(error('[{"timeAdded":null}]'), undefined);
  });

  test('what is left is the Go value: zero values for what is missing or of the wrong type', () => {
    assert.deepEqual(goUnmarshal('[{"key":"a","EFFECT":"NoSchedule"},{"value":5}]', TAINTS).value, [
      { Key: 'a', Value: '', Effect: 'NoSchedule', TimeAdded: undefined },
      { Key: '', Value: '', Effect: '', TimeAdded: undefined },
    ]);
    assert.deepEqual(goUnmarshal('{"owner":{"name":"a","controller":true}}', HOLDER).value, { owners: [], owner: { name: 'a', controller: true } });
  });
});

describe('time.Parse(time.RFC3339, …)', () => {
  test('the first element the value does not fit, or the one out of range', () => {
    const cases: [string, string | undefined][] = [
      ['2024-01-01T00:00:00Z', undefined],
      ['2024-01-01T23:59:59.123Z', undefined],
      ['2024-01-01T23:59:59,5Z', undefined],
      ['2024-01-01T9:05:05Z', undefined],
      ['2024-02-29T00:00:00Z', undefined],
      ['2024-01-01T23:59:59+01:00', undefined],
      ['2024-01-01T23:59:59+25:00', undefined],
      ['', 'parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006"'],
      ['2024', 'parsing time "2024" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "-"'],
      ['2024-1-01T00:00:00Z', 'parsing time "2024-1-01T00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "1-01T00:00:00Z" as "01"'],
      ['2024-13-01T00:00:00Z', 'parsing time "2024-13-01T00:00:00Z": month out of range'],
      ['2024-00-01T00:00:00Z', 'parsing time "2024-00-01T00:00:00Z": month out of range'],
      ['2024-01-01', 'parsing time "2024-01-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"'],
      ['2024-01-01t00:00:00Z', 'parsing time "2024-01-01t00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "t00:00:00Z" as "T"'],
      ['2024-01-01T24:00:00Z', 'parsing time "2024-01-01T24:00:00Z": hour out of range'],
      ['2024-01-01T23:60:00Z', 'parsing time "2024-01-01T23:60:00Z": minute out of range'],
      ['2024-01-01T23:59:60Z', 'parsing time "2024-01-01T23:59:60Z": second out of range'],
      ['2024-01-01T23:59:59', 'parsing time "2024-01-01T23:59:59" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"'],
      ['2024-01-01T23:59:59+0100', 'parsing time "2024-01-01T23:59:59+0100" as "2006-01-02T15:04:05Z07:00": cannot parse "+0100" as "Z07:00"'],
      ['2024-01-01T23:59:59*01:00', 'parsing time "2024-01-01T23:59:59*01:00" as "2006-01-02T15:04:05Z07:00": cannot parse "*01:00" as "Z07:00"'],
      ['2024-01-01T23:59:59.Z', 'parsing time "2024-01-01T23:59:59.Z" as "2006-01-02T15:04:05Z07:00": cannot parse ".Z" as "Z07:00"'],
      ['2024-01-01T23:59:59ZZ', 'parsing time "2024-01-01T23:59:59ZZ": extra text: "Z"'],
      ['2023-02-29T00:00:00Z', 'parsing time "2023-02-29T00:00:00Z": day out of range'],
      ['2024-04-31T00:00:00Z', 'parsing time "2024-04-31T00:00:00Z": day out of range'],
      ['2a24-01-01T00:00:00Z', 'parsing time "2a24-01-01T00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "2a24-01-01T00:00:00Z" as "2006"'],
      ['é024', 'parsing time "\\xc3\\xa9024" as "2006-01-02T15:04:05Z07:00": cannot parse "\\xc3\\xa9024" as "2006"'],
      ['2024"01', 'parsing time "2024\\"01" as "2006-01-02T15:04:05Z07:00": cannot parse "\\"01" as "-"'],
    ];
    for (const [value, error] of cases) assert.equal(goTimeParseError(value), error, value);
  });
});
