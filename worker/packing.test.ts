import { expect, it } from 'vitest';
import { InvalidArgumentError } from '../web/src/errors.js';
import { ownedBuffers, packEntries, unpackEntries } from './packing.js';

const text = new TextDecoder();

it('a packed batch unpacks to the same keys and values, strings as UTF-8', () => {
  const binary = new Uint8Array([0, 255, 7]);
  const packed = packEntries([['a', 'x'], ['ключ', ''], [binary, 'é'.repeat(3)], ['', new Uint8Array(0)]]);
  const entries = unpackEntries(packed);
  expect(entries.map(([k, v]) => [k, v].map((b) => [...b]))).toEqual([
    [[97], [120]],
    [[...new TextEncoder().encode('ключ')], []],
    [[0, 255, 7], [...new TextEncoder().encode('ééé')]],
    [[], []],
  ]);
  expect(text.decode(entries[1]?.[0])).toBe('ключ');
});

it('unpacked entries are views of the packed buffer, not copies', () => {
  const packed = packEntries([['k', 'v']]);
  const [[key, value]] = unpackEntries(packed) as [[Uint8Array, Uint8Array]];
  expect(key.buffer).toBe(packed);
  expect(value.buffer).toBe(packed);
});

it('packing copies the caller’s arrays, which stay usable after the buffer is transferred', () => {
  const key = new Uint8Array([1, 2, 3]);
  const packed = packEntries([[key, 'v']]);
  structuredClone(packed, { transfer: [packed] });
  expect(packed.byteLength).toBe(0);
  expect([...key]).toEqual([1, 2, 3]);
});

it('packing rejects what the engine would reject, with the same messages', () => {
  expect(() => packEntries('nope' as never)).toThrow(InvalidArgumentError);
  expect(() => packEntries([['k'] as never])).toThrow('each entry must be a [key, value] pair');
  expect(() => packEntries([[42 as never, 'v']])).toThrow('key must be a string or a Uint8Array, got number');
  expect(() => packEntries([['k', null as never]])).toThrow('value must be a string or a Uint8Array, got null');
});

it('a truncated or padded batch is refused', () => {
  const packed = packEntries([['key', 'value']]);
  expect(() => unpackEntries(packed.slice(0, packed.byteLength - 1))).toThrow('truncated');
  const padded = new Uint8Array(packed.byteLength + 1);
  padded.set(new Uint8Array(packed));
  expect(() => unpackEntries(padded.buffer)).toThrow('1 stray bytes');
  expect(() => unpackEntries(new ArrayBuffer(2))).toThrow(InvalidArgumentError);
});

it('only buffers that a view spans entirely are transferable, each once', () => {
  const whole = new Uint8Array(8);
  const shared = new ArrayBuffer(16);
  const part = new Uint8Array(shared, 4, 4);
  expect(ownedBuffers([whole, whole, part, 'text', new Uint8Array(0), undefined])).toEqual([whole.buffer]);
});
