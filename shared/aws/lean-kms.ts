import {
  commandFor,
  fromBase64,
  type Json,
  type JsonService,
  type LeanClientConfig,
  LeanCommand,
  LeanJsonClient,
  LeanServiceException,
  toJsonWire,
} from './lean-json.js'

/**
 * KMS spoken through the lean AWS core (lean-json.ts) instead of `@aws-sdk/client-kms`,
 * which an esbuild alias replaces with this module in every bundle
 * (infra/constructs/bundling.ts): the service-token signer (Sign, GetPublicKey) and
 * the sealer (GenerateDataKey, Decrypt) are all of Latchkey's KMS, and those four
 * operations are all it speaks. Inputs and outputs are the SDK's shapes: blobs as
 * Uint8Array both ways, base64 on the wire; errors with the SDK's names
 * (`KMSInvalidStateException`, `NotFoundException`...) and fields. Unit tests mock the
 * real SDK client, which this stands in for only in bundles; lean-kms.test.ts holds
 * the two to the same requests, outputs, errors and retries.
 */

/** The SDK's base class of KMS's errors; every error KMS answers is raised as one. */
export class KMSServiceException extends LeanServiceException {}

/** KMS to the core: the SDK's defaults for it are 3 attempts from 50 ms (2026). */
const KMS: JsonService = {
  name: 'KMS',
  signingName: 'kms',
  targetPrefix: 'TrentService',
  jsonVersion: '1.1',
  maxAttempts: 3,
  baseDelayMs: 50,
  exception: KMSServiceException,
}

/** The blob members of the four operations' outputs: base64 on the wire, bytes to the caller. */
const BLOBS = ['CiphertextBlob', 'CiphertextForRecipient', 'Plaintext', 'PublicKey', 'Signature']

// Pure: a function that verifies tokens imports the key sources but sends no KMS command.
export const SignCommand = /* @__PURE__ */ commandFor('Sign')
export const GetPublicKeyCommand = /* @__PURE__ */ commandFor('GetPublicKey')
export const GenerateDataKeyCommand = /* @__PURE__ */ commandFor('GenerateDataKey')
export const DecryptCommand = /* @__PURE__ */ commandFor('Decrypt')

export class KMSClient extends LeanJsonClient {
  constructor(config: LeanClientConfig) {
    super(KMS, config)
  }

  async send(command: LeanCommand): Promise<Json> {
    if (!(command instanceof LeanCommand))
      throw new TypeError(`not a lean KMS command: ${Object(command).constructor?.name}`)
    const output = await this.call(command.operation, toJsonWire(command.input) as Json)
    for (const name of BLOBS) {
      const value = output[name]
      if (typeof value === 'string') output[name] = fromBase64(value)
    }
    return output
  }
}
