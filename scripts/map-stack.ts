/**
 * `npm run -s map-stack -- <bundle.mjs.map> < trace.txt`: turns a deployed function's
 * minified stack trace (from its logs) into source file:line:column, with the map
 * the stack built beside that bundle (cdk.out/asset.<hash>/index.mjs.map, or the
 * deployed package). Functions start without `--enable-source-maps`: parsing their
 * 0.4-1.5 MB map costs 13-15 ms of CPU at every cold start (README, Performance), paid
 * for traces that only an unexpected error logs, so the map is read here instead.
 */
import { readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'

const [mapFile] = process.argv.slice(2)
if (!mapFile) {
  console.error('usage: npm run -s map-stack -- <index.mjs.map> < trace.txt')
  process.exit(2)
}
const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')))
const trace = readFileSync(0, 'utf8')
// `at name (file:///var/task/index.mjs:27:391)` or `at file:///var/task/index.mjs:27:391`
const frame = /[^\s()]*index\.mjs:(\d+):(\d+)/g
process.stdout.write(
  trace.replace(frame, (whole, line: string, column: string) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1)
    if (!('originalSource' in entry)) return whole
    const source = entry.originalSource.replace(/^(\.\.\/)+/, '')
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`
  }),
)
