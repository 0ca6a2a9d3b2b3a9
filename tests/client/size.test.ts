interface Measured {
  code: string;
  raw: number;
  gzip: number;
  limit: number;
}
// A plain CommonJS script (npm run client:size): required, not imported, as it has no types.
const { measureClientSize } = require('../../scripts/client-size.js') as { measureClientSize(): Promise<Measured> };

describe('client bundle', () => {
  let measured: Measured;
  beforeAll(async () => {
    measured = await measureClientSize();
  });

  test('is at most 5 KB minified and gzipped', () => {
    expect(measured.limit).toBe(5120);
    expect(measured.gzip).toBeGreaterThan(0);
    expect(measured.gzip).toBeLessThanOrEqual(5120);
  });

  test('reaches for no Node API, so it runs in browsers and React Native', () => {
    expect(measured.code).not.toMatch(/\b(require|process|Buffer|global|__dirname)\b/);
    expect(measured.code).not.toMatch(/node:/);
  });
});
