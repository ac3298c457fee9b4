import { displayText, nameString } from './common.js'

/** An IAM role ARN, or a role-name prefix ending in `*`; its account is checked by the domain. */
const roleArn = {
  type: 'string',
  maxLength: 2048,
  pattern: '^arn:aws:iam::[0-9]{12}:role/([\\w+=,.@-]+/)*[\\w+=,.@-]*\\*?$',
  description:
    'an IAM role ARN, arn:aws:iam::<account>:role/<path/name>, or a name prefix ending in *',
} as const

export const CloudAccountPath = {
  $id: 'CloudAccountPath',
  type: 'object',
  required: ['team', 'project', 'cloudAccountId'],
  properties: {
    team: nameString,
    project: nameString,
    cloudAccountId: {
      type: 'string',
      pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
      description: 'a lowercase UUID',
    },
  },
} as const

export const CreateCloudAccountBody = {
  $id: 'CreateCloudAccountBody',
  type: 'object',
  additionalProperties: false,
  required: ['provider', 'account_id'],
  properties: {
    provider: { type: 'string', enum: ['aws'] },
    account_id: {
      type: 'string',
      pattern: '^[0-9]{12}$',
      description: 'a 12-digit AWS account id',
    },
    role_arns: { type: 'array', maxItems: 20, uniqueItems: true, items: roleArn },
    description: displayText(255),
  },
} as const
