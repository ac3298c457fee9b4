/**
 * `npm run -s latchkey -- <command>`: the admin CLI. It works on the same store as
 * `npm start`, whether or not the service is running; see `--help`. `cli/run.mjs`
 * runs it from a bundle (see there); `node --import tsx cli/latchkey.ts` also works.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const { runCli } = await import('./main.js')

async function readStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin,
})
