/**
 * Internal: fixed-arity wrappers with a way out, for the Deno engine's fast calls (deno.ts). Not
 * public API. Closures, not code built from strings: the wrappers of one arity share their code
 * (see the header of deno.ts for what that costs).
 */

/** What a fast argument conversion returns when the call must take the generic path. */
export const SLOW: unique symbol = Symbol('slow');
export type Fast = (value: unknown) => unknown;
export const AS_IS: Fast = (value) => value;

/**
 * `finish(direct(...converted))`, or `generic(...args)` when a conversion says SLOW, as a
 * function of the arity of `convert`: a rest-parameter wrapper with a loop over the arguments
 * cost 100-170 ns more per call than a fixed-arity one.
 */
export function fixedArity(
  direct: (...args: unknown[]) => unknown,
  convert: Fast[],
  finish: Fast,
  generic: (...args: unknown[]) => unknown,
): (...args: unknown[]) => unknown {
  const [c0 = AS_IS, c1 = AS_IS, c2 = AS_IS, c3 = AS_IS, c4 = AS_IS, c5 = AS_IS, c6 = AS_IS, c7 = AS_IS] = convert;
  switch (convert.length) {
    case 0:
      return () => finish(direct());
    case 1:
      return (a0) => {
        const x0 = c0(a0);
        return x0 === SLOW ? generic(a0) : finish(direct(x0));
      };
    case 2:
      return (a0, a1) => {
        const x0 = c0(a0);
        const x1 = c1(a1);
        return x0 === SLOW || x1 === SLOW ? generic(a0, a1) : finish(direct(x0, x1));
      };
    case 3:
      return (a0, a1, a2) => {
        const x0 = c0(a0);
        const x1 = c1(a1);
        const x2 = c2(a2);
        return x0 === SLOW || x1 === SLOW || x2 === SLOW ? generic(a0, a1, a2) : finish(direct(x0, x1, x2));
      };
    case 4:
      return (a0, a1, a2, a3) => {
        const x0 = c0(a0);
        const x1 = c1(a1);
        const x2 = c2(a2);
        const x3 = c3(a3);
        return x0 === SLOW || x1 === SLOW || x2 === SLOW || x3 === SLOW ? generic(a0, a1, a2, a3) : finish(direct(x0, x1, x2, x3));
      };
    case 5:
      return (a0, a1, a2, a3, a4) => {
        const x0 = c0(a0);
        const x1 = c1(a1);
        const x2 = c2(a2);
        const x3 = c3(a3);
        const x4 = c4(a4);
        return x0 === SLOW || x1 === SLOW || x2 === SLOW || x3 === SLOW || x4 === SLOW ? generic(a0, a1, a2, a3, a4) : finish(direct(x0, x1, x2, x3, x4));
      };
    case 6:
      return (a0, a1, a2, a3, a4, a5) => {
        const x0 = c0(a0);
        const x1 = c1(a1);
        const x2 = c2(a2);
        const x3 = c3(a3);
        const x4 = c4(a4);
        const x5 = c5(a5);
        return x0 === SLOW || x1 === SLOW || x2 === SLOW || x3 === SLOW || x4 === SLOW || x5 === SLOW
          ? generic(a0, a1, a2, a3, a4, a5)
          : finish(direct(x0, x1, x2, x3, x4, x5));
      };
    case 7:
      return (a0, a1, a2, a3, a4, a5, a6) => {
        const x0 = c0(a0);
        const x1 = c1(a1);
        const x2 = c2(a2);
        const x3 = c3(a3);
        const x4 = c4(a4);
        const x5 = c5(a5);
        const x6 = c6(a6);
        return x0 === SLOW || x1 === SLOW || x2 === SLOW || x3 === SLOW || x4 === SLOW || x5 === SLOW || x6 === SLOW
          ? generic(a0, a1, a2, a3, a4, a5, a6)
          : finish(direct(x0, x1, x2, x3, x4, x5, x6));
      };
    case 8:
      return (a0, a1, a2, a3, a4, a5, a6, a7) => {
        const x0 = c0(a0);
        const x1 = c1(a1);
        const x2 = c2(a2);
        const x3 = c3(a3);
        const x4 = c4(a4);
        const x5 = c5(a5);
        const x6 = c6(a6);
        const x7 = c7(a7);
        return x0 === SLOW || x1 === SLOW || x2 === SLOW || x3 === SLOW || x4 === SLOW || x5 === SLOW || x6 === SLOW || x7 === SLOW
          ? generic(a0, a1, a2, a3, a4, a5, a6, a7)
          : finish(direct(x0, x1, x2, x3, x4, x5, x6, x7));
      };
    default:
      // Longer lists are rare and their calls do more work: one loop.
      return (...args) => {
        const converted = new Array<unknown>(convert.length);
        for (let i = 0; i < convert.length; i++) {
          converted[i] = (convert[i] as Fast)(args[i]);
          if (converted[i] === SLOW) return generic(...args);
        }
        return finish(direct(...converted));
      };
  }
}
