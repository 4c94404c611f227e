// ?model= picks the package URL; only same-origin paths are accepted.
import { expect, test } from 'vitest';
import { DEFAULT_MODEL_URL, modelUrlFromLocation } from './modelUrl';

test('default, same-origin paths, and refusals', () => {
  expect(modelUrlFromLocation('http://a.test/')).toBe(DEFAULT_MODEL_URL);
  expect(modelUrlFromLocation('http://a.test/?model=/test/fixtures/tiny-package/')).toBe('/test/fixtures/tiny-package/');
  expect(modelUrlFromLocation('http://a.test/app/?model=models/x')).toBe('/app/models/x/');
  expect(modelUrlFromLocation('http://a.test/?model=https://evil.test/m/')).toBe(DEFAULT_MODEL_URL);
  expect(modelUrlFromLocation('http://a.test/?model=//evil.test/m/')).toBe(DEFAULT_MODEL_URL);
});
