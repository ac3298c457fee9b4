/**
 * What `JSON.parse` lets through silently and a proxy in front of us may read
 * differently: a key given twice (`JSON.parse` keeps the last) and a number literal
 * that does not survive as a double (`1e999` becomes Infinity, `-1e-400` becomes -0,
 * `9007199254740993` becomes ...992). Both are refused, naming where they are.
 */
export interface JsonProblem {
  /** Where: the keys and indexes from the root, joined with '.' ('' for the root). */
  path: string
  message: string
}

/**
 * Far deeper than any body of this API needs; it bounds the recursion of everything
 * that walks a parsed body afterwards (validators, the SDK's marshalling).
 */
export const MAX_NESTING = 32

type Frame =
  | { kind: 'object'; keys: Set<string>; key: string | undefined }
  | { kind: 'array'; index: number }

/** The keys and indexes down to the current value; `last` names the top object's key instead. */
function pathOf(stack: Frame[], last?: string): string {
  const parts = stack.map((f) => (f.kind === 'array' ? String(f.index) : (f.key ?? '')))
  if (last !== undefined) parts[parts.length - 1] = last
  return parts.join('.')
}

/** Characters a JSON number literal is made of: digits, '-', '+', '.', 'e', 'E'. */
const isNumberChar = (c: number) =>
  (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45

/** A decimal as sign-free digits without leading or trailing zeros, and the exponent of its last digit. */
function decimalOf(literal: string): { digits: string; exponent: number } {
  const body = literal.replace(/^[-+]/, '')
  const [mantissa = '', exp = '0'] = body.toLowerCase().split('e')
  const [whole = '', fraction = ''] = mantissa.split('.')
  let digits = (whole + fraction).replace(/^0+/, '')
  let exponent = Number(exp) - fraction.length
  const trimmed = digits.replace(/0+$/, '')
  exponent += digits.length - trimmed.length
  digits = trimmed
  return digits === '' ? { digits: '', exponent: 0 } : { digits, exponent }
}

/** True when the literal's decimal value is exactly the double's shortest decimal form. */
export function isExactNumber(literal: string): boolean {
  // Fast path: without an exponent, up to 15 digits always survive (DBL_DIG is 15).
  if (literal.length <= 16 && !/[eE]/.test(literal) && literal.replace(/[-.]/g, '').length <= 15)
    return true
  const value = Number(literal)
  if (!Number.isFinite(value)) return false
  const a = decimalOf(literal)
  const b = decimalOf(String(value))
  return a.digits === b.digits && a.exponent === b.exponent
}

/**
 * Scans text that `JSON.parse` has already accepted (so it is valid JSON) and
 * returns the first problem, if any. One pass, no allocation per value beyond the
 * keys of objects; strings are skipped with `indexOf`.
 */
export function findJsonProblem(text: string): JsonProblem | undefined {
  const stack: Frame[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    const top = stack[stack.length - 1]
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length === MAX_NESTING)
        return { path: pathOf(stack), message: `nests more than ${MAX_NESTING} levels deep` }
      stack.push(
        c === 0x7b
          ? { kind: 'object', keys: new Set(), key: undefined }
          : { kind: 'array', index: 0 },
      )
      i++
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop()
      i++
    } else if (c === 0x2c /* , */) {
      if (top?.kind === 'array') top.index++
      else if (top) top.key = undefined
      i++
    } else if (c === 0x22 /* " */) {
      let end = i + 1
      for (;;) {
        end = text.indexOf('"', end)
        let backslashes = 0
        for (let j = end - 1; text.charCodeAt(j) === 0x5c; j--) backslashes++
        if (backslashes % 2 === 0) break
        end++
      }
      if (top?.kind === 'object' && top.key === undefined) {
        const raw = text.slice(i + 1, end)
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw
        if (top.keys.has(key))
          return { path: pathOf(stack, key), message: 'is given more than once' }
        top.keys.add(key)
        top.key = key
      }
      i = end + 1
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1
      while (end < n && isNumberChar(text.charCodeAt(end))) end++
      if (!isExactNumber(text.slice(i, end)))
        return { path: pathOf(stack), message: 'is a number that cannot be represented exactly' }
      i = end
    } else i++ // whitespace, ':', and the letters of true, false, null
  }
  return undefined
}
