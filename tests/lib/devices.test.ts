import fc from 'fast-check';
import { isIP } from 'node:net';
import { coarseAddress, describeDevice } from '../../lib/devices';

describe('describeDevice', () => {
  it.each([
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari on iOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Windows'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Microsoft Edge on Linux'],
  ])('names the browser and the OS of %s', (userAgent, expected) => {
    expect(describeDevice(userAgent)).toBe(expected);
  });

  it('says nothing of what it cannot recognise, or of nothing', () => {
    for (const userAgent of [undefined, '', 'okhttp/4.12.0', 'curl/8.5.0', '\u0000\u0001']) expect(describeDevice(userAgent)).toBeUndefined();
  });

  it('reads only the start of an oversized User-Agent', () => {
    expect(describeDevice(`Mozilla/5.0 (Windows NT 10.0) Firefox/133.0 ${'A'.repeat(1_000_000)}`)).toBe('Firefox on Windows');
    // What comes after the first 512 characters is not read at all.
    expect(describeDevice(`${'A'.repeat(512)} Mozilla/5.0 (Windows NT 10.0) Firefox/133.0`)).toBeUndefined();
  });

  it('never answers more than 64 plain characters, whatever the header holds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.string({ unit: 'binary', maxLength: 600 }), fc.constantFrom('Mozilla/5.0 (<script>alert(1)</script>; Android 14) Chrome/1 Safari/1')), (userAgent) => {
        const described = describeDevice(userAgent);
        if (described === undefined) return;
        expect(described.length).toBeGreaterThan(0);
        expect(described.length).toBeLessThanOrEqual(64);
        expect(described).toMatch(/^[\p{L}\p{N} ._()/+-]+$/u);
      }),
    );
  });
});

describe('coarseAddress', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['::ffff:10.1.2.3', '10.1.2.0/24'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
    ['2001:DB8::1', '2001:db8::/48'],
    ['2001:0db8:00ab:ffff:0:0:0:1', '2001:db8:ab::/48'],
    ['fe80::1%eth0', 'fe80::/48'],
    ['::1', '::/48'],
    // IPv4 inside IPv6: mapped, written out in full, and 6to4 (whose /48 would hold the whole IPv4 address).
    ['0:0:0:0:0:ffff:1.2.3.4', '1.2.3.0/24'],
    ['2002:cb00:7107::1', '203.0.113.0/24'],
  ])('keeps the network of %s: %s', (address, expected) => {
    expect(coarseAddress(address)).toBe(expected);
  });

  it('answers nothing for what is not an address', () => {
    for (const address of [undefined, '', 'nonsense', '1.2.3', '256.1.1.1', '1.2.3.4/24', '::ffff:999.1.1.1', 'x'.repeat(100_000)]) {
      expect(coarseAddress(address)).toBeUndefined();
    }
  });

  it('turns any IPv4 or IPv6 address into its /24 or /48, and anything else into nothing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 60 })), (address) => {
        const network = coarseAddress(address);
        if (!isIP(address)) return expect(network).toBeUndefined();
        const [prefix, bits] = network!.split('/');
        expect(isIP(prefix!)).toBeGreaterThan(0);
        expect(['24', '48']).toContain(bits);
      }),
    );
  });
});
