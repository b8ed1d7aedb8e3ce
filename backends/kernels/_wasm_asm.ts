/**
 * Helpers to write WebAssembly modules as instruction lists (binary format:
 * https://webassembly.github.io/spec/core/binary/), for the kernels assembled at load time in
 * this folder (`_gemm_wasm.ts`, `_erf_wasm.ts`).
 *
 * @module
 */

export const I32 = 0x7f;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const name = (text: string): number[] => vec([...new TextEncoder().encode(text)].map((b) => [b]));
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

export const get = (i: number) => [0x20, ...uleb(i)];
export const tee = (i: number) => [0x22, ...uleb(i)];
export const set = (i: number) => [0x21, ...uleb(i)];
export const i32 = (n: number) => [0x41, ...sleb(n)];
export const ADD = [0x6a], SUB = [0x6b], MUL = [0x6c], GE_S = [0x4e], AND = [0x71], EQZ = [0x45];
export const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], IF = [0x04, 0x40], ELSE = [0x05], END = [0x0b];
/** `if` with a v128 result. */
export const IF_V128 = [0x04, V128];
/** `select`: the first operand when the condition is nonzero, else the second. */
export const SELECT = [0x1b];
export const br = (depth: number) => [0x0c, depth];
export const brIf = (depth: number) => [0x0d, depth];
export const simd = (op: number, ...rest: number[]) => [0xfd, ...uleb(op), ...rest];
export const v128Load = (offset: number) => simd(0x00, 4, ...uleb(offset));
export const v128Store = (offset: number) => simd(0x0b, 4, ...uleb(offset));
export const V128_LOAD32_SPLAT = simd(0x09, 2, 0);
export const V128_ZERO = simd(0x0c, ...new Array(16).fill(0));
export const F32X4_ADD = simd(0xe4), F32X4_MUL = simd(0xe6), F32X4_MAX = simd(0xe9);

/** `local = local + step` */
export const bump = (local: number, step: number[]) => [...get(local), ...step, ...ADD, ...set(local)];

/** `for (local = 0; local < limit; local++) body`, `body` at depth 0 inside an outer block at depth 1. */
export function countedLoop(local: number, limit: number, body: number[]): number[] {
  return [
    ...[...i32(0), ...set(local), ...BLOCK, ...LOOP],
    ...[...get(local), ...get(limit), ...GE_S, ...brIf(1)],
    ...body,
    ...[...bump(local, i32(1)), ...br(0), ...END, ...END],
  ];
}
