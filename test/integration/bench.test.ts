import { expect, inject, it } from 'vitest'
import { unmeasured } from '../../bench/calls.js'
import { countCalls, parseLatencySelection, parseSections } from '../../bench/run.js'

/**
 * The benchmark's call counts, which are deterministic (timings on shared cores are
 * not, and are not asserted: `npm run bench -- --quick` exercises those sections).
 * Every path every route row declares in `calls` is measured, and costs exactly that.
 */
it('makes every request in exactly the DynamoDB calls its route row declares', async () => {
  const calls = await countCalls({ endpoint: inject('dynamoEndpoint') })
  expect(unmeasured(calls), 'declared paths with no row in bench/calls.ts').toEqual([])
  const off = calls.filter((row) => row.total !== row.budget)
  expect(
    off.map(
      (row) =>
        `${row.request}: ${row.total} (${JSON.stringify(row.counts)}), declared ${row.budget}`,
    ),
  ).toEqual([])
  // The enrollment's one call: the transaction that proves the token (issue 17).
  expect(calls.find((row) => row.route === 'enrollServer' && row.path === 'token')?.counts).toEqual(
    {
      TransactWriteItems: 1,
    },
  )
})

it('runs the sections it is asked for, and refuses a name it does not know', () => {
  expect(parseSections(['--quick'])).toEqual([
    'calls',
    'latency',
    'scale',
    'crypto',
    'events',
    'lifecycle',
    'cold',
  ])
  expect(parseSections(['--only', 'latency,scale'])).toEqual(['latency', 'scale'])
  expect(parseSections(['--only=cold'])).toEqual(['cold'])
  expect(() => parseSections(['--only', 'latncy'])).toThrow("unknown section 'latncy'")
})

it('narrows the latency section to the rows, in-flight levels and diagnostics asked for', () => {
  expect(parseLatencySelection(['--only', 'latency'])).toEqual({})
  expect(
    parseLatencySelection([
      '--rows',
      'tokens-list,tokens-create',
      '--in-flight=16,64',
      '--trace',
      'bench/out/t.jsonl',
      '--fresh-connections',
    ]),
  ).toEqual({
    rows: ['tokens-list', 'tokens-create'],
    inFlight: [16, 64],
    traceFile: 'bench/out/t.jsonl',
    freshConnections: true,
  })
  expect(() => parseLatencySelection(['--in-flight', '16,lots'])).toThrow('whole numbers')
})
