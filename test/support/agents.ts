import { expect } from 'vitest'
import type { client } from './http.js'

type Api = ReturnType<typeof client>

/** An enrolled agent as the enrollment answered it: its server and the server's token. */
export interface Agent {
  server: { id: string }
  server_token: string
}

/** A server enrolled with an enrollment token, as an agent does (outside any Terraform run). */
export async function enrollAgent(
  api: Api,
  project: string,
  enrollmentToken: string,
  hostname: string,
): Promise<Agent> {
  const enrolled = await api('POST', `${project}/servers`, {
    token: enrollmentToken,
    body: { hostname },
  })
  expect(enrolled.status).toBe(201)
  return enrolled.body as Agent
}

/**
 * A fleet of `count` servers enrolled with one enrollment token, as many agents do,
 * 10 at a time: enough children that no one transaction (100 items) could delete them.
 */
export async function enrollFleet(
  api: Api,
  project: string,
  enrollmentToken: string,
  count: number,
): Promise<Agent[]> {
  const agents: Agent[] = []
  for (let first = 0; first < count; first += 10) {
    const hostnames = Array.from(
      { length: Math.min(10, count - first) },
      (_, n) => `web-${first + n + 1}`,
    )
    agents.push(
      ...(await Promise.all(
        hostnames.map((name) => enrollAgent(api, project, enrollmentToken, name)),
      )),
    )
  }
  return agents
}

/**
 * Nothing of a deleted project's agents works in the project made again under its name
 * (`project`: its path): the old enrollment token enrolls nothing (401), and each old
 * server's token is told it was revoked (its deletion record keeps the hash).
 */
export async function expectOldAgentsShutOut(
  api: Api,
  project: string,
  old: { enrollmentToken: string; agents: Agent[] },
) {
  const late = await api('POST', `${project}/servers`, {
    token: old.enrollmentToken,
    body: { hostname: 'late' },
  })
  expect(late.status).toBe(401)
  expect(late.body.code).toBe('authentication_error')
  for (const agent of old.agents) {
    const beat = await api('POST', `${project}/servers/${agent.server.id}/heartbeat`, {
      token: agent.server_token,
    })
    expect(beat.status).toBe(401)
    expect(beat.body.code).toBe('server_authorization_revoked')
  }
}
