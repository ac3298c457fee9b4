import { spawn } from 'node:child_process'
import { runCli } from '../../cli/main.js'

const root = new URL('../..', import.meta.url).pathname

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs the admin CLI as an operator would: a process through the launcher that
 * `npm run latchkey` runs (the bundle), with the given environment and stdin.
 */
export function latchkey(
  args: string[],
  env: Record<string, string | undefined>,
  stdin?: string,
): Promise<CliResult> {
  const { DYNAMODB_ENDPOINT, TABLE_NAME, LATCHKEY_DATA_DIR, ...inherited } = process.env
  const child = spawn(process.execPath, ['cli/run.mjs', ...args], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  child.stdin.end(stdin ?? '')
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}

/**
 * The same CLI in this process (no process start per case): on the store this
 * process's data layer already points at (DYNAMODB_ENDPOINT + TABLE_NAME).
 */
export async function latchkeyInProcess(args: string[], stdin?: string): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(args, {
    out: (text) => {
      stdout += text
    },
    err: (text) => {
      stderr += text
    },
    readStdin: async () => stdin ?? '',
  })
  return { code, stdout, stderr }
}
