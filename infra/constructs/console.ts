import { DockerImage, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib'
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2'
import {
  AllowedMethods,
  type BehaviorOptions,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront'
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins'
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3'
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment'
import { Construct } from 'constructs'
import { routeList } from '../../shared/routes.js'
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS, writeConsole } from '../../web/build.js'

export interface LatchkeyConsoleProps {
  api: IHttpApi
}

const webDir = new URL('../../web/', import.meta.url).pathname

/**
 * The API's paths as CloudFront path patterns: each first segment of the route
 * table's paths, alone and with anything under it. Generated, so a new route's
 * prefix reaches the API with no edit here.
 */
export function apiPathPatterns(): string[] {
  const prefixes = new Set(routeList.map((route) => `/${route.path.split('/')[1] ?? ''}`))
  return [...prefixes].flatMap((prefix) => [prefix, `${prefix}/*`])
}

/**
 * The web console on AWS: its files in a private S3 bucket behind CloudFront
 * (origin access control), and the HTTP API as a second origin of the same
 * distribution for the route table's paths, so the page calls its own host (no
 * CORS). Every answer carries the security headers and the strict CSP.
 */
export class LatchkeyConsole extends Construct {
  readonly distribution: Distribution
  readonly bucket: Bucket

  constructor(scope: Construct, id: string, props: LatchkeyConsoleProps) {
    super(scope, id)
    const logs = new Bucket(this, 'Logs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront's standard logs are written with an ACL.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    })
    this.bucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'site/',
      removalPolicy: RemovalPolicy.RETAIN,
    })

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Latchkey console: strict CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
      },
      customHeadersBehavior: {
        customHeaders: [
          'cross-origin-opener-policy',
          'cross-origin-resource-policy',
          'permissions-policy',
        ].map((header) => ({ header, value: SECURITY_HEADERS[header] ?? '', override: true })),
      },
    })

    // The API's own host name, from its endpoint URL (https://<id>.execute-api.<region>...).
    const apiHost = Fn.select(2, Fn.split('/', props.api.apiEndpoint))
    const api: BehaviorOptions = {
      origin: new HttpOrigin(apiHost, {
        protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [OriginSslPolicy.TLS_V1_2],
      }),
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      // Never cached; with caching off, this policy forwards Authorization and the query.
      cachePolicy: CachePolicy.CACHING_DISABLED,
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: headers,
    }

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Latchkey console (${Stack.of(this).stackName})`,
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
      },
      additionalBehaviors: Object.fromEntries(apiPathPatterns().map((pattern) => [pattern, api])),
    })

    // Built at synth time by the same esbuild code `npm start` uses (no Docker).
    const site = Source.asset(webDir, {
      bundling: {
        image: DockerImage.fromRegistry('none'),
        local: {
          tryBundle(outputDir) {
            writeConsole(outputDir)
            return true
          },
        },
      },
    })
    // Hashed assets first and kept (an open page may still load the last ones); then the page.
    const assets = new BucketDeployment(this, 'Assets', {
      sources: [site],
      destinationBucket: this.bucket,
      exclude: ['index.html'],
      prune: false,
      cacheControl: [CacheControl.fromString('public, max-age=31536000, immutable')],
    })
    const page = new BucketDeployment(this, 'Page', {
      sources: [site],
      destinationBucket: this.bucket,
      exclude: ['*'],
      include: ['index.html'],
      prune: false,
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/', '/index.html'],
    })
    page.node.addDependency(assets)
  }
}
