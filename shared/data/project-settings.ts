/**
 * ASA's project settings, by their API names. Each is stored as its own attribute
 * under that name, so one name holds end to end (request, item, event). A module of
 * its own, with no imports, so the stream function and the schemas can use it
 * without the DynamoDB client.
 */
export const PROJECT_SETTING_NAMES = [
  'next_unix_uid',
  'next_unix_gid',
  'create_server_users',
  'forward_traffic',
  'require_preauth_for_creds',
  'rdp_session_recording',
  'ssh_session_recording',
  'force_shared_ssh_users',
  'gateway_selector',
  'ssh_certificate_type',
  'shared_admin_user_name',
  'shared_standard_user_name',
  'user_on_demand_period',
] as const

export type ProjectSettingName = (typeof PROJECT_SETTING_NAMES)[number]
export type SettingValue = boolean | number | string

/** The settings a project has set; an absent one takes ASA's default (below). */
export type StoredSettings = Partial<Record<ProjectSettingName, SettingValue>>

/** The SSH certificate types ASA knows (the oktapam provider's list). */
export const SSH_CERTIFICATE_TYPES = [
  'CERT_TYPE_ED25519_01',
  'CERT_TYPE_ECDSA_256_01',
  'CERT_TYPE_ECDSA_384_01',
  'CERT_TYPE_ECDSA_521_01',
  'CERT_TYPE_RSA_SHA2_256_01',
  'CERT_TYPE_RSA_SHA2_512_01',
  'CERT_TYPE_RSA_01',
] as const

/** Every setting with its type, as a project shows it (null: not set, no default). */
export interface ProjectSettings {
  next_unix_uid: number
  next_unix_gid: number
  create_server_users: boolean
  forward_traffic: boolean
  require_preauth_for_creds: boolean
  rdp_session_recording: boolean
  ssh_session_recording: boolean
  force_shared_ssh_users: boolean
  gateway_selector: string | null
  ssh_certificate_type: (typeof SSH_CERTIFICATE_TYPES)[number] | null
  shared_admin_user_name: string | null
  shared_standard_user_name: string | null
  user_on_demand_period: number | null
}

/** The JSON type each setting is stored as: what a read keeps (anything else is ignored). */
export const SETTING_TYPES: Record<ProjectSettingName, 'number' | 'boolean' | 'string'> = {
  next_unix_uid: 'number',
  next_unix_gid: 'number',
  create_server_users: 'boolean',
  forward_traffic: 'boolean',
  require_preauth_for_creds: 'boolean',
  rdp_session_recording: 'boolean',
  ssh_session_recording: 'boolean',
  force_shared_ssh_users: 'boolean',
  gateway_selector: 'string',
  ssh_certificate_type: 'string',
  shared_admin_user_name: 'string',
  shared_standard_user_name: 'string',
  user_on_demand_period: 'number',
}

/** ASA's defaults, which a project shows for every setting it has not set. */
export const PROJECT_DEFAULTS: ProjectSettings = {
  next_unix_uid: 60001,
  next_unix_gid: 63001,
  create_server_users: false,
  forward_traffic: false,
  require_preauth_for_creds: false,
  rdp_session_recording: false,
  ssh_session_recording: false,
  force_shared_ssh_users: false,
  gateway_selector: null,
  ssh_certificate_type: null,
  shared_admin_user_name: null,
  shared_standard_user_name: null,
  user_on_demand_period: null,
}
