import { spawn } from 'node:child_process'

const root = new URL('../..', import.meta.url).pathname

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the admin CLI as an operator would, with the given environment and stdin. */
export function latchkey(
  args: string[],
  env: Record<string, string | undefined>,
  stdin?: string,
): Promise<CliResult> {
  const { DYNAMODB_ENDPOINT, TABLE_NAME, LATCHKEY_DATA_DIR, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/latchkey.ts', ...args], {
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
