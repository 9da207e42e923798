import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Scrubber, secretForms } from '../src/run/scrub.ts';

// The scrubber's exact forms (every secret that is not a JWT: a password, a value the command
// masks) are searched with one pattern per VALUES_PER_PATTERN values, so that a command masking
// thousands of values does not make one pattern of all of them anew for each. Held here to what the
// runner's SecretMasker does: every place any form is found, overlapping and touching places made
// one, each such stretch one `***`.

/** Every place each form of each value is found hidden, as one `***` where they overlap or touch. */
function hiddenByDefinition(text: string, values: string[]): string {
  const hidden = Array.from({ length: text.length }, () => false);
  for (const form of values.flatMap(secretForms)) {
    for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + 1)) {
      hidden.fill(true, at, at + form.length);
    }
  }
  let out = '';
  for (let at = 0; at < text.length; at++) {
    if (!hidden[at]) out += text[at];
    else if (at === 0 || !hidden[at - 1]) out += '***';
  }
  return out;
}

// A small alphabet, so that values share beginnings and one form's end runs into another's start.
const CHARS = [...'abAB01+/=%_- é'];
const value = fc
  .array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 14 })
  .map(chars => chars.join(''));

describe('Scrubber, exact forms', () => {
  it('hides all of two values that overlap where they are printed as one, no tail of the second shown', () => {
    const scrubber = new Scrubber();
    scrubber.add('abcdefghij');
    scrubber.add('ghijklmnop');
    expect(scrubber.scrub('stdout', 'joined abcdefghijklmnop and ghijklmnopabcdefghij\n')).toBe(
      'joined *** and ***\n'
    );
  });

  it.each([
    // A value longer than 256 characters repeating itself: the runner hides every place.
    [
      'a long value found again inside where it was found',
      (a: string) => [`${a}${a}${a}`],
      (a: string) => `${a}${a}${a}${a}`
    ],
    // A shorter value beginning inside a longer one and running past it.
    [
      'a value beginning inside a longer one',
      (a: string) => [a.repeat(4), `${a.slice(-20)}TAILSECRET`],
      (a: string) => `${a.repeat(4)}TAILSECRET`
    ]
  ])('hides all of %s, past 256 characters', (_, values, printed) => {
    const a = Array.from(
      { length: 100 },
      (__, i) => 'abcdefghijklmnopqrstuvwxyz0123456789'[(i * 7 + i * i) % 36]
    ).join('');
    const scrubber = new Scrubber();
    for (const secret of values(a)) scrubber.add(secret);
    const text = `line ${printed(a)} end\n`;
    expect(scrubber.scrub('stdout', text)).toBe(hiddenByDefinition(text, values(a)));
    expect(scrubber.scrub('stdout', text)).toBe('line *** end\n');
  });

  it('hides what the runner hides, with values enough for three patterns', () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 65, maxLength: 90 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), value), { maxLength: 30 }),
        (values, pieces) => {
          const scrubber = new Scrubber();
          for (const secret of values) scrubber.add(secret);
          const forms = values.flatMap(secretForms);
          // Whole forms, their beginnings and ends, and text between.
          const text = pieces
            .map(([which, cut, kind, between]) => {
              const form = forms[which % forms.length];
              const at = cut % (form.length + 1);
              return [form, form.slice(0, at), form.slice(at)][kind % 3] + between;
            })
            .join('');
          expect(scrubber.scrub('stdout', text)).toBe(hiddenByDefinition(text, values));
        }
      ),
      { seed: 20261207, numRuns: 150 }
    );
  });

  it('scrubs each of 2,000 values masked one by one from the line written after its mask', () => {
    const scrubber = new Scrubber();
    let shown = 0;
    for (let i = 0; i < 2000; i++) {
      const secret = `masked-value-${i}-${(i * 7919).toString(36)}`;
      scrubber.add(secret);
      const line = scrubber.scrub(
        'stdout',
        `step ${i}: ${secret} (${Buffer.from(secret).toString('base64')})\n`
      );
      if (line !== `step ${i}: *** (***)\n`) shown++;
    }
    expect(shown).toBe(0);
    // A guard against a hang, not a speed target: one pattern of all the values, made anew for
    // each, took 96 s here.
  }, 30_000);
});
