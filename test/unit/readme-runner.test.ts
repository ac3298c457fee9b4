import { describe, expect, it } from 'vitest'
import { matches, outputsOf, readmeBlocks, scriptOf } from '../support/readme.js'

/** The README test's own conventions: what runs, what is expected, what `...` means. */
const md = [
  'text',
  '```sh',
  '# (not run by the README test: needs AWS)',
  'npx cdk deploy',
  '```',
  '```sh',
  'A=1   # a plain comment',
  'echo $A   # => 1',
  'curl -s \\',
  '  -X POST x',
  '# => {"code":"...",...}',
  '# => second line',
  '```',
  '```',
  'not shell',
  '```',
].join('\n')

describe('the README runner', () => {
  it('skips marked blocks with their reason and reads expectations inline and below', () => {
    const [skipped, run, ...rest] = readmeBlocks(md)
    expect(rest).toEqual([])
    expect(skipped).toMatchObject({ skipped: 'needs AWS', statements: [] })
    expect(run?.statements).toEqual([
      { text: 'A=1   # a plain comment', line: 7 },
      { text: 'echo $A', line: 8, expected: ['1'] },
      { text: 'curl -s \\\n  -X POST x', line: 9, expected: ['{"code":"...",...}', 'second line'] },
    ])
  })

  it('refuses an output written as a plain comment, which nothing would check', () => {
    for (const line of ['curl x   # 204', '# {"code":"x"}'])
      expect(() => readmeBlocks(['```sh', 'curl y', line, '```'].join('\n'))).toThrow(
        'write an expected output as "# => ..."',
      )
  })

  it('matches literally, with ... for anything', () => {
    expect(matches(['204'], '204')).toBe(true)
    expect(matches(['204'], '2045')).toBe(false)
    expect(matches(['{"a":"..."}'], '{"a":"x.y"}')).toBe(true)
    expect(matches(['a ...', 'b'], 'a 1\nb')).toBe(true)
    expect(matches(['a', 'b'], 'a\nc')).toBe(false)
    expect(matches(['(x)'], 'x')).toBe(false) // regex characters are literal
  })

  it('collects what each expecting statement printed', () => {
    const script = scriptOf(readmeBlocks(md))
    expect(script).toContain('set -euo pipefail')
    expect(outputsOf('noise\n@@begin 1\n1\n\n@@end 1\n@@begin 2\nx\n@@end 2\n')).toEqual(
      new Map([
        [1, '1'],
        [2, 'x'],
      ]),
    )
  })
})
