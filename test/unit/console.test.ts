import { gzipSync } from 'node:zlib'
import { App } from 'aws-cdk-lib'
import { Match, Template } from 'aws-cdk-lib/assertions'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../infra/app.js'
import { apiPathPatterns } from '../../infra/constructs/console.js'
import { routeList } from '../../shared/routes.js'
import { buildConsole, CONTENT_SECURITY_POLICY } from '../../web/build.js'

describe('the console build', () => {
  it('is one small script, one stylesheet and a page with no inline script, built the same twice', async () => {
    const [files, again] = await Promise.all([buildConsole(), buildConsole()])
    const paths = [...files.keys()].sort()
    expect(paths).toHaveLength(3)
    expect(paths[0]).toBe('/')
    expect(paths[1]).toMatch(/^\/assets\/main-[A-Z0-9]+\.js$/)
    expect(paths[2]).toMatch(/^\/assets\/style-[A-Z0-9]+\.css$/)
    const script = files.get(paths[1] ?? '')?.body ?? Buffer.alloc(0)
    // The budget: at most 60 KB of JavaScript, gzipped.
    expect(gzipSync(script).length).toBeLessThan(60 * 1024)
    const page = files.get('/')?.body.toString() ?? ''
    expect(page).toContain(`<script type="module" src="${paths[1]}"></script>`)
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)/)
    expect(page).not.toMatch(/\sstyle=|\son[a-z]+=/)
    for (const [path, file] of files) expect(again.get(path)?.body.equals(file.body)).toBe(true)
  })

  it('holds no validators, no server code and no storage calls', async () => {
    const files = await buildConsole()
    const script = [...files].find(([path]) => path.endsWith('.js'))?.[1].body.toString() ?? ''
    expect(script).not.toMatch(/schemaPath|instancePath/) // ajv's generated validators
    expect(script).not.toMatch(/localStorage|sessionStorage|document\.cookie|indexedDB/)
    expect(script).not.toMatch(/node:|DynamoDB/)
  })
})

describe('the console stack', () => {
  let template: Template

  beforeAll(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], stage: 'test' } })
    template = Template.fromStack(buildApp(app).consoleStack)
  }, 120_000) // a whole-app synth: seconds on a quiet machine, far more on a busy one

  it('sends exactly the route table paths to the API and everything else to the bucket', () => {
    const patterns = apiPathPatterns()
    const matches = (pattern: string, path: string) =>
      pattern.endsWith('/*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern
    for (const route of routeList) {
      const path = route.path.replace(/\{[^}]+\}/g, 'x')
      expect(
        patterns.some((p) => matches(p, path)),
        path,
      ).toBe(true)
    }
    for (const path of ['/', '/index.html', '/assets/main-ABC.js'])
      expect(patterns.some((p) => matches(p, path))).toBe(false)
  })

  it('keeps the bucket private, encrypted, TLS-only and logged, reachable only through CloudFront', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'site/' }),
      BucketEncryption: Match.anyValue(),
    })
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1)
    template.resourcePropertiesCountIs(
      'AWS::S3::Bucket',
      { WebsiteConfiguration: Match.anyValue() },
      0,
    )
  })

  it('serves the console from S3 and the API as a second origin on the same host, uncached', () => {
    const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]
    const config = distribution?.Properties.DistributionConfig
    expect(config.DefaultRootObject).toBe('index.html')
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https')
    expect(config.Origins).toHaveLength(2)
    const api = config.Origins.find((o: { CustomOriginConfig?: unknown }) => o.CustomOriginConfig)
    expect(api.CustomOriginConfig).toEqual({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    })
    const behaviors = config.CacheBehaviors as Record<string, unknown>[]
    expect(behaviors.map((b) => b.PathPattern).sort()).toEqual(apiPathPatterns().sort())
    for (const behavior of behaviors) {
      expect(behavior.TargetOriginId).toBe(api.Id)
      expect(behavior.AllowedMethods).toEqual(
        expect.arrayContaining(['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS']),
      )
      // CachingDisabled and AllViewerExceptHostHeader: Authorization and the query reach the API.
      expect(behavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad')
      expect(behavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac')
      expect(behavior.ViewerProtocolPolicy).toBe('https-only')
    }
    expect(config.Logging.Prefix).toBe('cloudfront/')
  })

  it('sends the strict CSP and the security headers on every answer', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|\*/)
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: CONTENT_SECURITY_POLICY, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          StrictTransportSecurity: Match.objectLike({ IncludeSubdomains: true, Override: true }),
        },
      }),
    })
    const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]
    const config = distribution?.Properties.DistributionConfig
    const policies = [config.DefaultCacheBehavior, ...config.CacheBehaviors].map(
      (b: { ResponseHeadersPolicyId: unknown }) => JSON.stringify(b.ResponseHeadersPolicyId),
    )
    expect(new Set(policies).size).toBe(1)
  })

  it('deploys hashed assets as immutable and the page as no-cache, invalidating only the page', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      Exclude: ['index.html'],
      Prune: false,
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
    })
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      Include: ['index.html'],
      Prune: false,
      SystemMetadata: { 'cache-control': 'no-cache' },
      DistributionPaths: ['/', '/index.html'],
    })
  })

  it('names its output', () => {
    expect(Object.keys(template.findOutputs('*'))).toEqual(['ConsoleUrl'])
  })
})
