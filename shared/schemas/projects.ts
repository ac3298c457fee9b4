import { nameString, pageQueryProperties } from './common.js'

export const ProjectPath = {
  $id: 'ProjectPath',
  type: 'object',
  required: ['team', 'project'],
  properties: { team: nameString, project: nameString },
} as const

export const CreateProjectBody = {
  $id: 'CreateProjectBody',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: nameString },
} as const

export const PageQuery = {
  $id: 'PageQuery',
  type: 'object',
  properties: pageQueryProperties,
} as const
