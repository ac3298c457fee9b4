/**
 * The README's shell blocks as a script with checked outputs. A `sh` block runs
 * unless its first line is `# (not run by the README test: <reason>)`. A statement
 * (lines joined by a trailing backslash) may end in `# => text`, or be followed by
 * `# => text` lines: it must print exactly that, `...` standing for anything.
 */
export interface Statement {
  text: string
  /** The README line it starts on, for failure messages. */
  line: number
  expected?: string[]
}

export interface Block {
  line: number
  skipped?: string
  statements: Statement[]
}

const SKIP = /^# \(not run by the README test: (.+)\)$/
const EXPECT = /\s#\s=>\s?(.*)$/
/** A comment that reads like an output (`# 204`, `# {"code"...`) but would not be checked. */
const UNCHECKED = /(^|\s)#\s+(\d{3}|\{)/

export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue
    const start = i + 1
    const body: string[] = []
    for (i = start; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i] ?? '')
    const skipped = SKIP.exec(body[0] ?? '')?.[1]
    blocks.push({ line: start, skipped, statements: skipped ? [] : statementsOf(body, start) })
  }
  return blocks
}

function statementsOf(body: string[], offset: number): Statement[] {
  const statements: Statement[] = []
  let current: Statement | undefined
  let last: Statement | undefined
  for (const [index, raw] of body.entries()) {
    const own = /^#\s=>\s?(.*)$/.exec(raw.trim())
    if (own && !current) {
      if (!last) throw new Error(`README line ${offset + index + 1}: "# =>" follows no command`)
      last.expected = [...(last.expected ?? []), own[1] ?? '']
      continue
    }
    if (!current && UNCHECKED.test(raw))
      throw new Error(`README line ${offset + index + 1}: write an expected output as "# => ..."`)
    if (!current && (raw.trim() === '' || raw.trim().startsWith('#'))) {
      last = raw.trim() === '' ? undefined : last
      continue
    }
    current ??= { text: '', line: offset + index + 1 }
    if (raw.endsWith('\\')) {
      current.text += `${raw}\n`
      continue
    }
    const inline = EXPECT.exec(raw)
    if (!inline && UNCHECKED.test(raw))
      throw new Error(`README line ${offset + index + 1}: write an expected output as "# => ..."`)
    current.text += inline ? raw.slice(0, inline.index).trimEnd() : raw
    if (inline) current.expected = [inline[1] ?? '']
    statements.push(current)
    last = current
    current = undefined
  }
  return statements
}

/** `...` is anything; everything else is literal. */
export function matches(expected: string[], actual: string): boolean {
  const pattern = expected
    .join('\n')
    .split('...')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*?')
  return new RegExp(`^${pattern}$`).test(actual)
}

/**
 * One bash script for all blocks, in order (they share variables). Statements with
 * an expected output print between markers; `curl` fails on an HTTP error unless
 * the statement's expected output is what is checked.
 */
export function scriptOf(blocks: Block[]): string {
  const parts = ['set -euo pipefail', 'curl() { command curl --fail-with-body "$@"; }']
  let index = 0
  for (const block of blocks) {
    for (const statement of block.statements) {
      parts.push(`printf '@@run %d %d\\n' ${index} ${statement.line} >&2`)
      if (statement.expected) {
        parts.push(`printf '@@begin %d\\n' ${index}`)
        parts.push(`{ ${statement.text.trim()}\n} || true`)
        parts.push(`printf '\\n@@end %d\\n' ${index}`)
      } else parts.push(statement.text.trim())
      index++
    }
  }
  return `${parts.join('\n')}\n`
}

/** What each expecting statement printed, by its index in the script. */
export function outputsOf(stdout: string): Map<number, string> {
  const outputs = new Map<number, string>()
  for (const match of stdout.matchAll(/@@begin (\d+)\n([\s\S]*?)\n@@end \1\n/g))
    outputs.set(Number(match[1]), (match[2] ?? '').replace(/\n+$/, ''))
  return outputs
}
