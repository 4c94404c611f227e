// Named errors survive serialise -> structuredClone (what postMessage does) -> deserialise with their class.
import { describe, expect, test } from 'vitest';
import {
  DeviceLostError, deserializeError, ImageDecodeError, ModelFormatError, ModelLoadError, QuotaExceededError,
  registerErrorClass, RemoteError, serializeError, ShaderF16SupportError, WebGPUNotAvailableError, WorkerCrashedError,
} from '../../src/engine/errors';

const roundTrip = (e: unknown) => deserializeError(structuredClone(serializeError(e)));

describe('engine errors across the worker boundary', () => {
  test.each([
    WebGPUNotAvailableError, DeviceLostError, ShaderF16SupportError, ModelLoadError, ModelFormatError,
    ImageDecodeError, QuotaExceededError, WorkerCrashedError,
  ])('%o keeps class, name, message, default hint and data', (Ctor) => {
    const original = new Ctor('something specific happened', { data: { n: 3 } });
    expect(original.name).toBe(Ctor.name);
    expect(original.hint.length).toBeGreaterThan(20); // says what to do
    const back = roundTrip(original);
    expect(back).toBeInstanceOf(Ctor);
    expect(back).toMatchObject({ name: Ctor.name, message: 'something specific happened', hint: original.hint, data: { n: 3 } });
  });

  test('ModelFormatError.forFile names the file in message and data; a custom hint survives', () => {
    const e = ModelFormatError.forFile('vision_encoder.onnx', 'truncated at byte 12', { hint: 'custom advice' });
    const back = roundTrip(e) as ModelFormatError;
    expect(back.message).toBe('"vision_encoder.onnx" is not a valid model file: truncated at byte 12');
    expect(back.data).toEqual({ file: 'vision_encoder.onnx' });
    expect(back.hint).toBe('custom advice');
  });

  test('a DOMException QuotaExceededError becomes our QuotaExceededError with a hint', () => {
    const back = roundTrip(new DOMException('quota exceeded', 'QuotaExceededError'));
    expect(back).toBeInstanceOf(QuotaExceededError);
    expect((back as QuotaExceededError).hint).toMatch(/Free space/);
  });

  test('AbortError stays a DOMException AbortError; built-ins stay built-ins; strings become Error', () => {
    const abort = roundTrip(new DOMException('stopped', 'AbortError'));
    expect(abort).toBeInstanceOf(DOMException);
    expect(abort.name).toBe('AbortError');
    expect(roundTrip(new RangeError('k too big'))).toBeInstanceOf(RangeError);
    expect(roundTrip('just a string')).toMatchObject({ name: 'Error', message: 'just a string' });
  });

  test('an unknown class comes back as RemoteError with its name; uncloneable data is dropped, not fatal', () => {
    const weird = Object.assign(new Error('odd'), { name: 'OddError', hint: 'do the odd thing', data: { fn: () => 1 } });
    const s = serializeError(weird);
    expect(s.data).toBeUndefined();
    const back = deserializeError(structuredClone(s));
    expect(back).toBeInstanceOf(RemoteError);
    expect(back).toMatchObject({ name: 'OddError', message: 'odd', hint: 'do the odd thing' });
  });

  test('the worker stack is appended to the local one', () => {
    const back = roundTrip(new ModelLoadError('net down'));
    expect(back.stack).toContain('--- thrown in the worker ---');
  });

  test('a registered class with its own constructor signature comes back as that class', () => {
    // Like src/storage/errors.ts: name as a class field, message built from other arguments.
    class PhotoGoneError extends Error {
      override readonly name = 'PhotoGoneError';
      constructor(readonly photoId: string) { super(`Photo ${photoId} is gone. Refresh the list.`); }
    }
    registerErrorClass('PhotoGoneError', PhotoGoneError);
    const back = roundTrip(new PhotoGoneError('abc'));
    expect(back).toBeInstanceOf(PhotoGoneError);
    expect(back).toMatchObject({ name: 'PhotoGoneError', message: 'Photo abc is gone. Refresh the list.' });
  });
});
