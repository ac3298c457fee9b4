import { SSH_CERTIFICATE_TYPES } from '../data/project-settings.js'
import { nameString, pageQueryProperties } from './common.js'

export const ProjectPath = {
  $id: 'ProjectPath',
  type: 'object',
  required: ['team', 'project'],
  properties: { team: nameString, project: nameString },
} as const

/**
 * ASA's project settings, as its Terraform providers send them. Every one is optional;
 * `null` (and `""` for free strings, which is how the providers clear one) means "not
 * set", so the project falls back to ASA's default. Ranges are ours where ASA states
 * none (README, Projects).
 */
const unixId = {
  // 0 would make root; below 1000 are system accounts on common distributions; ids
  // above 2^31-1 break tools that read them as signed 32-bit integers.
  type: ['integer', 'null'],
  minimum: 1000,
  maximum: 2_147_483_647,
} as const

/** A POSIX user name as useradd accepts it by default, at most 32 characters. */
const unixUserName = {
  type: ['string', 'null'],
  pattern: '^$|^[a-z_][a-z0-9_-]{0,31}$',
  description:
    "a Unix user name: up to 32 lowercase letters, digits, '_' or '-', not starting with a digit or '-'",
} as const

export const projectSettingsProperties = {
  next_unix_uid: unixId,
  next_unix_gid: unixId,
  create_server_users: { type: 'boolean' },
  forward_traffic: { type: 'boolean' },
  require_preauth_for_creds: { type: 'boolean' },
  rdp_session_recording: { type: 'boolean' },
  ssh_session_recording: { type: 'boolean' },
  force_shared_ssh_users: { type: 'boolean' },
  /** Gateway labels to match, `key=value` pairs separated by commas. */
  gateway_selector: {
    type: ['string', 'null'],
    maxLength: 1024,
    pattern:
      '^$|^[A-Za-z0-9][A-Za-z0-9_./-]*=[A-Za-z0-9_./-]*( *, *[A-Za-z0-9][A-Za-z0-9_./-]*=[A-Za-z0-9_./-]*)*$',
    description: 'gateway labels as key=value pairs separated by commas',
  },
  ssh_certificate_type: { enum: [...SSH_CERTIFICATE_TYPES, null] },
  shared_admin_user_name: unixUserName,
  shared_standard_user_name: unixUserName,
  /** Seconds an on-demand server account lives after an access request: up to 30 days. */
  user_on_demand_period: { type: ['integer', 'null'], minimum: 1, maximum: 2_592_000 },
} as const

export const CreateProjectBody = {
  $id: 'CreateProjectBody',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: nameString, ...projectSettingsProperties },
} as const

/** PUT: the same settings; `name` may be repeated (the oktaasa provider does) but not changed. */
export const UpdateProjectBody = {
  $id: 'UpdateProjectBody',
  type: 'object',
  additionalProperties: false,
  properties: { name: nameString, ...projectSettingsProperties },
} as const

export const PageQuery = {
  $id: 'PageQuery',
  type: 'object',
  properties: pageQueryProperties,
} as const

/**
 * The project list's query: pages, plus ASA's filters. `self`, `descending` and `prev`
 * are free strings on purpose: clients send them in many spellings and the contract
 * says they are never a 400 (the domain reads Go's boolean spellings, else ignores them).
 */
export const ProjectListQuery = {
  $id: 'ProjectListQuery',
  type: 'object',
  properties: {
    ...pageQueryProperties,
    contains: { type: 'string', maxLength: 2048 },
    self: { type: 'string' },
    descending: { type: 'string' },
    prev: { type: 'string' },
  },
} as const
