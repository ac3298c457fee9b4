import { describe, expect, it } from 'vitest'
import { DEFAULT_JAVA_OPTIONS, javaOptions } from '../../local/dynamodb.js'

describe("DynamoDB Local's JVM options", () => {
  it('bound the heap by default, and are replaced whole by LATCHKEY_DYNAMODB_JAVA_OPTS', () => {
    expect(javaOptions({})).toEqual(['-Xmx256m', '-XX:+UseSerialGC'])
    expect(
      javaOptions({ LATCHKEY_DYNAMODB_JAVA_OPTS: '  -Xmx1g   -XX:TieredStopAtLevel=1 ' }),
    ).toEqual(['-Xmx1g', '-XX:TieredStopAtLevel=1'])
    expect(javaOptions({ LATCHKEY_DYNAMODB_JAVA_OPTS: ' ' })).toBe(DEFAULT_JAVA_OPTIONS)
  })
})
